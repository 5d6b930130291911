"""Rating and charging one service's overage at once (PostgreSQL): the meter re-rates the period
with new usage while the service's settlement charges the previous rating. The settlement holds
the rating's row, so the new rating waits and stays due for what is left; nothing is lost or
charged twice. The settlement is stopped inside its transaction on purpose
(openbill.core.tests.interleave).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from openbill.billing.audit import run_audit
from openbill.billing.models import Expense, ExpenseKind
from openbill.core.tests import factories as f
from openbill.core.tests.interleave import interleave
from openbill.metering import actions
from openbill.metering.actions import settle
from openbill.metering.models import OverageRating

from .factories import record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 5, tzinfo=UTC)
NEXT_DAY = datetime(2026, 3, 6, tzinfo=UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rating_written_while_the_previous_one_is_charged_stays_due_for_the_rest(provider, vps_plan, alice):
    traffic(vps_plan)  # 1000 GiB included, 0.01 per GiB over
    server = f.service(alice, vps_plan)
    actions.ingest(provider, [record(server, "rx_bytes", DAY, "1333")], now=NOW)
    actions.rate_provider(provider, now=NOW)  # 333 over: 3.33 due
    actions.ingest(provider, [record(server, "rx_bytes", NEXT_DAY, "167")], now=NOW)  # 500 over once rated

    settled, _rated = interleave(
        lambda: actions.settle_service(server.pk, now=NOW),
        lambda: actions.rate_provider(provider, now=NOW),
        pause=(settle, "_charge_increment"),
        before=True,
    )

    assert settled.charged == Decimal("3.33")
    rating = OverageRating.objects.get(service=server)
    assert (rating.cost_amount, rating.charged_amount, rating.due) == (Decimal("5.00"), Decimal("3.33"), True)

    assert actions.settle_service(server.pk, now=NOW).charged == Decimal("1.67")
    charges = Expense.objects.filter(service=server, kind=ExpenseKind.OVERAGE).order_by("pk")
    assert list(charges.values_list("amount", flat=True)) == [Decimal("3.33"), Decimal("1.67")]
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("95.00")
    assert run_audit() == []
