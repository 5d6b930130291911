"""``openbill preview --at DATE``: what the lifecycle sweeps would do at that moment, per client.

Nothing is written: the preview reads the database and computes the sweeps' decisions in memory
(services.automation.preview), in their order — renewals with their amounts, renewals that fail
for lack of funds, suspensions, deletions, notices.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from openbill.core.extensions import optional_module
from openbill.core.money import format_money
from openbill.core.timeutil import local_date

from ...automation.preview import build_preview


def parse_moment(value: str) -> datetime:
    """An ISO date (its midnight, UTC) or date-time (UTC unless it names its offset)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--at must be an ISO date or date-time, e.g. 2026-03-10 or 2026-03-10T00:05.")) from exc
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def other_sweeps(at: datetime) -> list[tuple[str, list[str]]]:
    """What other apps' sweeps would do: each ``<app>.sweeps`` module may offer ``preview(at)``,
    a list of lines (support: abuse deadlines, auto-closed tickets)."""
    found = []
    for config in apps.get_app_configs():
        module = optional_module(f"{config.name}.sweeps")
        preview = getattr(module, "preview", None)
        if preview is None or config.label == "services":
            continue
        lines = preview(at)
        if lines:
            found.append((str(config.verbose_name), lines))
    return found


class Command(BaseCommand):
    help = "Print what the renew, expire, delete and notice sweeps would do at a moment; changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", default=None, help="ISO date or date-time (default: now).")
        parser.add_argument("--provider", type=int, action="append", help="Only this provider's clients (repeatable).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        at = parse_moment(options["at"]) if options["at"] else timezone.now()
        preview = build_preview(at, options["provider"])
        if options["json"]:
            self.stdout.write(json.dumps({**preview.as_json(), "other": dict(other_sweeps(at))}, default=str))
            return
        write = self.stdout.write
        write(_("What the sweeps would do at %(at)s (nothing is changed):") % {"at": at.isoformat()})
        totals = {key: len(value) for key, value in preview.summary().items()}
        for c in preview.clients.values():
            if c.empty:
                continue
            write("")
            write(
                _("%(name)s <%(email)s> — balance %(balance)s")
                % {"name": c.name, "email": c.email, "balance": format_money(c.balance, c.currency)}
            )
            for d in c.renewals:
                write(
                    "  "
                    + _("renew      #%(id)s %(name)s: %(amount)s, paid %(start)s → %(end)s")
                    % {
                        "id": d.service_id,
                        "name": d.name,
                        "amount": format_money(d.amount or Decimal(0), c.currency),
                        "start": d.start.isoformat(timespec="minutes"),
                        "end": d.end.isoformat(timespec="minutes"),
                    }
                )
            for d in c.failed:
                if d.reason == "funds":
                    text = _("NO FUNDS   #%(id)s %(name)s: renewal of %(amount)s not possible, balance too low")
                else:
                    text = _("NO PRICE   #%(id)s %(name)s: the tariff no longer sells this period")
                write(
                    "  "
                    + text
                    % {"id": d.service_id, "name": d.name, "amount": format_money(d.amount or Decimal(0), c.currency)}
                )
            for sid, name, expires_at in c.stops:
                day = local_date(expires_at, c.tz).isoformat() if expires_at else "?"
                write(
                    "  " + _("suspend    #%(id)s %(name)s: expired %(date)s") % {"id": sid, "name": name, "date": day}
                )
            for sid, name, why in c.deletions:
                reason = _("scheduled by the client") if why == "scheduled" else _("stopped for expiry")
                write("  " + _("delete     #%(id)s %(name)s: %(why)s") % {"id": sid, "name": name, "why": reason})
            for n in c.notices:
                write("  " + _("notice     #%(id)s %(template)s") % {"id": n.service_id, "template": n.template})
        for title, lines in other_sweeps(at):
            write("")
            write(title)
            for line in lines:
                write("  " + line)
        write("")
        write(
            _(
                "Totals: %(renewed)s renewals, %(failed)s failing for lack of funds, %(stopped)s suspensions, "
                "%(deleting)s deletions, %(notices)s notices."
            )
            % totals
        )
