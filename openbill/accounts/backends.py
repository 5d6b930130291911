"""The session's user with what every page asks of it, in one query.

Django's ``ModelBackend`` loads the session's user by id; then each page asked again for the
client account it belongs to (with the provider: its zone, currency and 2FA rule) and the
two-factor middleware whether it has an authenticator app: three queries before the view.
``AccountBackend.get_user`` reads the membership with its user, client and provider, and that
flag, at once. Staff without a client account fall back to Django's own lookup.

Every request of a logged-in user runs this statement, so it is written once per process from
the models' own tables and columns, and its rows become model instances as the ORM makes them
(``Model.from_db``): building and compiling the same query on each request cost more than
running it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connections, models, router
from django_otp.plugins.otp_totp.models import TOTPDevice

from openbill.clients.models import Client, Provider
from openbill.core.statements import Columns, quoted

from .models import Membership, User

# Set on the user ``get_user`` loads: whether it had a confirmed authenticator app then
# (accounts.twofactor.enabled_at_load). Other users have no such attribute.
TOTP_AT_LOAD = "_openbill_totp_at_load"

# The rows read, in the order their columns come: each with every concrete field.
_JOINED: tuple[type[models.Model], ...] = (Membership, User, Client, Provider)


class _Statement:
    """The statement for one database, and how its columns become the four instances."""

    def __init__(self, alias: str) -> None:
        self.columns = Columns(alias, *_JOINED)
        user_id: Any = TOTPDevice._meta.get_field("user")
        confirmed: Any = TOTPDevice._meta.get_field("confirmed")
        quote = connections[alias].ops.quote_name

        def column(model: type[models.Model], name: str) -> str:
            return quoted(alias, model, name)

        # The user's membership (a user belongs to one account at most) with its user, client
        # and provider, and whether the user has a confirmed authenticator app.
        self.sql = (
            f"SELECT {self.columns.select}, "  # noqa: S608 (the models' own tables and columns; values are parameters)
            f"EXISTS(SELECT 1 FROM {quoted(alias, TOTPDevice)} "
            f"WHERE {quote(user_id.column)} = {column(Membership, 'user')} AND {quote(confirmed.column)} = %s) "
            f"FROM {quoted(alias, Membership)} "
            f"INNER JOIN {quoted(alias, User)} ON {column(Membership, 'user')} = {column(User, 'id')} "
            f"INNER JOIN {quoted(alias, Client)} ON {column(Membership, 'client')} = {column(Client, 'id')} "
            f"INNER JOIN {quoted(alias, Provider)} ON {column(Client, 'provider')} = {column(Provider, 'id')} "
            f"WHERE {column(Membership, 'user')} = %s LIMIT 1"
        )


_STATEMENTS: dict[str, _Statement] = {}


def _account(user_id: int) -> tuple[Membership, bool] | None:
    """The user's membership, its user, client and provider attached, and the app flag."""
    alias = router.db_for_read(Membership)
    if (statement := _STATEMENTS.get(alias)) is None:
        statement = _STATEMENTS[alias] = _Statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(statement.sql, [True, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    membership, user, client, provider = statement.columns.instances(row)
    totp = bool(row[statement.columns.width])
    Membership.user.field.set_cached_value(membership, user)  # type: ignore[attr-defined]
    Membership.client.field.set_cached_value(membership, client)  # type: ignore[attr-defined]
    Client.provider.field.set_cached_value(client, provider)  # type: ignore[attr-defined]
    return membership, totp


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _account(user_id)
        if found is None:
            return super().get_user(user_id)  # type: ignore[return-value]  # staff
        membership, totp = found
        user = membership.user
        if not self.user_can_authenticate(user):
            return None
        user._openbill_client = membership.client  # type: ignore[attr-defined]  # accounts.selectors.client_of
        setattr(user, TOTP_AT_LOAD, totp)  # type: ignore[attr-defined]
        return user
