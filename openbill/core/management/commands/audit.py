"""``openbill audit``: check every client's balance against its ledger."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openbill.billing.audit import run_audit
from openbill.invoicing.audit import run_audit as audit_documents
from openbill.payments.audit import run_audit as audit_refunds


class Command(BaseCommand):
    help = "Check every client's balance against its ledger (and the ledger's own chain); exit 1 on any difference."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = run_audit() + audit_documents() + audit_refunds()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(self.style.ERROR(f"audit failed: {len(problems)} problem(s)"))
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(
                "audit clean: every balance equals the sum of its ledger; documents numbered, chained and agreeing with it"
            )
        )
