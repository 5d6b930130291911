"""The session engine (``SESSION_ENGINE``): Django's database sessions in accounts.UserSession,
each row also holding its user, address, browser and times, copied from the session's data
whenever it is saved; and the keys under which a session's data keeps those facts.

The model names this store (``UserSession.get_session_store_class``), so the store does not
import the model back: it looks it up in the app registry by its label, as Django's own
foreign keys do.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

from openbill.core.statements import quoted

LAST_SEEN = "openbill_last_seen"
LOGGED_IN = "openbill_logged_in"
ADDRESS = "openbill_address"
AGENT = "openbill_agent"


class SessionStore(DatabaseSessionStore):
    """Database sessions in accounts.UserSession, with who, where from and last seen as columns."""

    @classmethod
    def get_model_class(cls) -> Any:
        return apps.get_model("accounts", "UserSession")

    def load(self) -> dict[str, Any]:
        """The session's data, as Django's ``load`` answers it (nothing for an unknown or
        expired key, which is then forgotten), by one fixed statement for the one column it
        needs: every request of a logged-in user asks this, and Django builds the query and
        a whole row (address, browser, times) each time."""
        model = self.model
        alias = router.db_for_read(model)
        with connections[alias].cursor() as cursor:
            cursor.execute(_load_sql(model, alias), [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])  # type: ignore[no-any-return]

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        row: Any = super().create_model_instance(data)
        try:
            row.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            row.user_id = None
        row.address = valid_address(data.get(ADDRESS))
        row.user_agent = str(data.get(AGENT) or "")[:300]
        row.logged_in_at = _moment(data.get(LOGGED_IN))
        row.last_seen_at = _moment(data.get(LAST_SEEN))
        return row


_LOAD_SQL: dict[str, str] = {}


def _load_sql(model: Any, alias: str) -> str:
    if (sql := _LOAD_SQL.get(alias)) is None:
        data, key, expiry = (quoted(alias, model, name) for name in ("session_data", "session_key", "expire_date"))
        sql = _LOAD_SQL[alias] = f"SELECT {data} FROM {quoted(alias, model)} WHERE {key} = %s AND {expiry} > %s"  # noqa: S608
    return sql


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int | float) else None


def valid_address(value: Any) -> str | None:
    """``value`` as an IP address in its canonical form, or None when it is none."""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None
