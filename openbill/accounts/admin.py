"""Admin for users, their memberships of client accounts and API tokens.

A token's hash is never shown as a field, and a token is never created here: the raw token is
shown once, at creation, in the client's profile or the API. Staff may revoke tokens.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openbill.core.admin import choices_filter

from .models import ApiToken, LoginAddress, Membership, RecoveryCode, RecoveryCodes, User, UserSession


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ("client",)
    readonly_fields = ("created_at",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    """Users log in with their email; ``username`` mirrors it and is not shown."""

    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "email_confirmed", "last_login")
    list_filter = (
        "is_staff",
        "is_superuser",
        "is_active",
        "email_confirmed",
        choices_filter("language", _("language"), list(settings.LANGUAGES)),
    )
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language", "email_confirmed", "login_notices")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "client", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "client__name", "client__email")
    list_select_related = ("user", "client")
    autocomplete_fields = ("user", "client")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "user", "key_prefix", "two_factor_verified", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "two_factor_verified")
    search_fields = ("name", "user__email", "key_prefix")
    list_select_related = ("user",)
    # key_hash is deliberately absent: not a field, not a column.
    fields = ("user", "name", "key_prefix", "two_factor_verified", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "key_prefix", "two_factor_verified", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a raw token is shown once to its owner, never to staff

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(RecoveryCodes)
class RecoveryCodesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A staff user's recovery codes: how many are left. Deleting them (with the user's TOTP
    device) makes the user enrol again at the next login; the codes themselves are never shown."""

    list_display = ("user", "name", "remaining_codes", "confirmed")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed")
    readonly_fields = ("user", "name", "confirmed")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # codes are made at enrolment and shown once, to their owner

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecoveryCodes]:
        unused = Count("codes", filter=Q(codes__used_at__isnull=True))
        return super().get_queryset(request).annotate(unused=unused)

    @admin.display(description=_("unused codes"), ordering="unused")
    def remaining_codes(self, obj: Any) -> int:
        return int(obj.unused)


@admin.register(RecoveryCode)
class RecoveryCodeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("device", "used_at")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    list_select_related = ("device__user",)
    fields = ("device", "used_at")  # the hash is not shown
    readonly_fields = ("device", "used_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Who is logged in, from where. Deleting a session logs it out; its key and data are never
    shown (the key is the credential)."""

    list_display = ("user", "address", "user_agent", "logged_in_at", "last_seen_at", "expire_date")
    list_filter = (("user", admin.EmptyFieldListFilter),)
    search_fields = ("user__email", "address")
    list_select_related = ("user",)
    fields = ("user", "address", "user_agent", "logged_in_at", "last_seen_at", "expire_date")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoginAddress)
class LoginAddressAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The addresses each user has logged in from (a new one sends the account a notice)."""

    list_display = ("user", "address", "first_seen_at")
    search_fields = ("user__email", "address")
    list_select_related = ("user",)
    readonly_fields = ("user", "address", "first_seen_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
