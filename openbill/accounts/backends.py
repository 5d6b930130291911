"""The session's user with what every page asks of it, in one query.

Django's ``ModelBackend`` loads the session's user by id; then each page asked again for the
client account it belongs to (with the provider: its zone, currency and 2FA rule) and the
two-factor middleware whether it has an authenticator app: three queries before the view.
``AccountBackend.get_user`` reads the membership with its user, client and provider, and that
flag, at once. Staff without a client account fall back to Django's own lookup.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, User

# Set on the user ``get_user`` loads: whether it had a confirmed authenticator app then
# (accounts.twofactor.enabled_at_load). Other users have no such attribute.
TOTP_AT_LOAD = "_openbill_totp_at_load"


@cache
def _memberships() -> QuerySet[Membership]:
    """The query's joins and flag, built once (a queryset is cloned, never changed, by filter)."""
    return Membership.objects.select_related("user", "client__provider").annotate(
        totp=Exists(TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True))
    )


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        found = list(_memberships().filter(user_id=user_id)[:1])
        if not found:
            return super().get_user(user_id)  # type: ignore[return-value]  # staff
        membership = found[0]
        user = membership.user
        if not self.user_can_authenticate(user):
            return None
        user._openbill_client = membership.client  # type: ignore[attr-defined]  # accounts.selectors.client_of
        setattr(user, TOTP_AT_LOAD, membership.totp)  # type: ignore[attr-defined]
        return user
