"""Support's periodic work, hourly: abuse deadlines that passed unfixed, and the auto-close of
Answered tickets left without a client reply. Both are idempotent (compare-and-swap per row),
so running the sweep twice, or on two workers, changes nothing twice; ``preview`` tells what a
run at a moment would do, for ``openbill preview``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from openbill.core.scheduler import register

from . import actions

SUPPORT_EVERY_SECONDS = 3600


def run(now: datetime) -> dict[str, Any]:
    deadlines = [
        report.pk for report in actions.due_abuse_deadlines(now) if actions.run_abuse_deadline(report, now=now)
    ]
    closed = actions.auto_close_answered(now=now)
    return {"abuse_deadlines": deadlines, "closed": closed}


@task()
def support_sweep() -> dict[str, Any]:
    return run(timezone.now())


@register("support", every_seconds=SUPPORT_EVERY_SECONDS)
def enqueue_support(now: datetime) -> object:
    return support_sweep.enqueue()


def preview(at: datetime) -> list[str]:
    """One line per thing a run at ``at`` would do; nothing is written."""
    lines = []
    for report in actions.due_abuse_deadlines(at):
        lines.append(
            _("abuse      report #%(id)s of %(client)s: %(action)s (deadline %(deadline)s)")
            % {
                "id": report.pk,
                "client": report.client.name,
                "action": report.get_action_display(),
                "deadline": report.deadline.isoformat(timespec="minutes"),
            }
        )
    cutoff = at - timedelta(days=actions.auto_close_days())
    for ticket in actions.answered_without_reply(cutoff):
        lines.append(
            _("close      ticket #%(id)s of %(client)s: answered %(at)s, no reply since")
            % {
                "id": ticket.pk,
                "client": ticket.client.name,
                "at": ticket.answered_at.isoformat(timespec="minutes") if ticket.answered_at else "",
            }
        )
    return lines
