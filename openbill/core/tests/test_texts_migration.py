"""The data migrations turn sentences stored before kinds existed into kinds and parameters, so
that existing ledger lines, History rows, order lines and system messages read in either
language; a sentence of no known kind keeps its words (``legacy``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from openbill.billing.models import LedgerEntry
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.orders.models import OrderLine
from openbill.services.models import ServiceEvent
from openbill.support import actions as support
from openbill.support.models import Message

BEFORE = [
    ("billing", "0002_initial"),
    ("orders", "0001_initial"),
    ("services", "0005_service_client_live_expiry"),
    ("support", "0001_initial"),
]
AT = datetime(2026, 3, 1, tzinfo=UTC)
OPENED = datetime(2026, 2, 1, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    plan_to = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(plan_to)
    return executor.loader.project_state(plan_to).apps


@pytest.mark.django_db(transaction=True)
def test_old_sentences_become_kinds_and_read_in_either_language(provider: Any, vps_plan: Any) -> None:
    alice = f.client(provider, "alice@test.test", balance="1")
    service = f.service(alice, vps_plan, name="web1")
    ticket = support.open_ticket(alice, subject="Help", body="activation", actor=Actor("client"), now=OPENED)
    old = _migrate(BEFORE)
    try:
        entry = old.get_model("billing", "LedgerEntry").objects.create
        common = {"client_id": alice.pk, "currency": "USD", "created_at": AT}
        entry(key="a", kind="charge", amount=Decimal("-10"), balance_after=Decimal("-10"), **common,
              description="web1: primer periodo (Año)", service_id=service.pk)  # fmt: skip
        entry(key="b", kind="payment", amount=Decimal("20"), balance_after=Decimal("10"), **common,
              description="Payment #7 (Card (test gateway))")  # fmt: skip
        entry(key="c", kind="correction", amount=Decimal("1"), balance_after=Decimal("11"), **common,
              description="complementos añadidos a mano")  # fmt: skip
        event = old.get_model("services", "ServiceEvent").objects.create
        for note in ("reconfiguration", "web1: renewal until 2026-04-01", "", "hand-written words"):
            event(service_id=service.pk, at=AT, actor_kind="system", actor_label="module", kind="status", note=note)
        old.get_model("orders", "OrderLine").objects.create(
            client_id=alice.pk, service_id=service.pk, kind="new", period="year", amount=Decimal("500"),
            currency="USD", description="VPS-1, Year", created_at=AT,
        )  # fmt: skip
        message = old.get_model("support", "Message").objects.create
        message(ticket_id=ticket.pk, author_kind="staff", body="The abuse report was resolved.", created_at=AT)
        message(ticket_id=ticket.pk, author_kind="client", body="The abuse report was resolved.", created_at=AT)
    finally:
        _migrate(None)

    ledger = {e.key: e for e in LedgerEntry.objects.filter(client=alice)}
    assert (ledger["a"].description_kind, ledger["a"].description_params) == (
        "first_period",
        {"name": "web1", "period": "year"},
    )
    assert (ledger["b"].description_kind, ledger["b"].description_params) == ("payment", {"id": "7", "method": "card"})
    assert ledger["c"].description_kind == "legacy"
    notes = list(ServiceEvent.objects.filter(service=service, at=AT).order_by("pk"))
    assert [e.note_kind for e in notes] == ["operation", "renewal", "", "legacy"]
    line = OrderLine.objects.get(service=service)
    messages = list(Message.objects.filter(ticket=ticket, created_at=AT).order_by("pk"))
    assert [(m.author_kind, m.body_kind, m.body) for m in messages] == [
        ("staff", "abuse_report_resolved", ""),
        ("client", "", "The abuse report was resolved."),
    ]

    def read(language: str) -> list[str]:
        from django.utils import translation

        with translation.override(language):
            return [
                ledger["a"].description,
                ledger["b"].description,
                ledger["c"].description,
                *(e.note for e in notes),
                line.description,
                messages[0].text,
            ]

    assert read("en") == [
        "web1: first period (Year)",
        "Payment #7 (Card (test gateway))",
        "complementos añadidos a mano",
        "reconfiguration",
        "web1: renewal until Apr 1, 2026",
        "",
        "hand-written words",
        "VPS-1, Year",
        "The abuse report was resolved.",
    ]
    assert read("es") == [
        "web1: primer periodo (Año)",
        "Pago n.º 7 (Tarjeta (pasarela de prueba))",
        "complementos añadidos a mano",
        "reconfiguración",
        "web1: renovación hasta el 1 abr 2026",
        "",
        "hand-written words",
        "VPS-1, Año",
        "La denuncia de abuso se resolvió.",
    ]
