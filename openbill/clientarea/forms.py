"""Forms of the client area."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from openbill.accounts.models import User


class EmailLoginForm(AuthenticationForm):
    """Django's login form (axes reads its ``username`` field), asking for the email."""

    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # The same answer for an unknown email and a wrong password: the login form must not
        # tell which emails are registered.
        "invalid_login": _("Please enter a correct email and password."),
        # Said only to whoever typed the account's right password, who knows it exists.
        "unconfirmed": _(
            "Your email address is not confirmed yet: follow the link in the mail we sent you when "
            "you signed up, or ask for a new link below."
        ),
    }

    # Set when the password was right for an account still waiting for its email confirmation.
    unconfirmed_user: User | None = None

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            user = self._unconfirmed_user()
            if user is None:
                raise
            self.unconfirmed_user = user
            raise forms.ValidationError(self.error_messages["unconfirmed"], code="unconfirmed") from None

    def _unconfirmed_user(self) -> User | None:
        """The account waiting for confirmation whose password this is. Every failed login pays
        one more password hash, so the time taken tells nothing about the email either."""
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not email or not password:
            return None
        user = User.objects.filter(email__iexact=email, is_active=False, email_confirmed=False).first()
        if user is None:
            make_password(password)
            return None
        return user if user.check_password(password) else None


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form, with the offer to revoke the user's API tokens too (ticked by default)."""

    revoke_api_tokens = forms.BooleanField(
        label=_("Also revoke my API tokens (scripts using them stop working until given new ones)"),
        required=False,
        initial=True,
    )


class SignupForm(forms.Form):
    name = forms.CharField(
        label=_("Name or company"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. “backup script”.")
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class CodeForm(forms.Form):
    """A code from the authenticator app (or, where accepted, a recovery code)."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ReauthForm(forms.Form):
    """The password again, and the code when two-factor authentication is on."""

    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        help_text=_("Lost your app? Enter one of your recovery codes instead."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, with_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]


class LoginNoticesForm(forms.Form):
    login_notices = forms.BooleanField(label=_("Email a notice when I log in from a new address"), required=False)
