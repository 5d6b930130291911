"""``openbill support-inbound < message.eml``: post an emailed reply to its ticket.

Point your mail server's delivery for the support address at this command (a pipe alias, or a
fetchmail/getmail ``mda``). It prints what it did and exits 0 also when it ignored the message
(a stranger's mail must not bounce back and forth).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...inbound import process


class Command(BaseCommand):
    help = "Read one RFC 5322 message on standard input and post it as a reply to its ticket."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = process(sys.stdin.buffer.read(), now=timezone.now())
        if outcome.result == "posted":
            self.stdout.write(f"posted to ticket #{outcome.ticket_id}")
        else:
            self.stdout.write(f"ignored: {outcome.reason}")
