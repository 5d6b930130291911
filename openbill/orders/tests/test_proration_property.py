"""Proration as a property: adding then removing the same add-ons at one moment nets to zero
(each change is the difference of two rounded values), and no change costs more than the
add-ons' price for the remaining paid time, give or take a cent of rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbill.billing.actions import charge_service
from openbill.billing.models import ExpenseKind
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.orders.pricing import quote_change, remaining_share
from openbill.services.models import Service, ServiceAddon
from openbill.services.selectors import with_pricing

EXPIRY = datetime(2024, 3, 31, tzinfo=UTC)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    seconds_left=st.integers(min_value=1, max_value=90 * 86400),
    old=st.integers(min_value=1, max_value=16),
    new=st.integers(min_value=1, max_value=16),
)
def test_up_and_down_at_one_moment_net_to_zero(
    alice: Any, vps_catalog: Any, seconds_left: int, old: int, new: int
) -> None:
    service = Service.objects.filter(client=alice).first()
    if service is None:
        service = f.service(alice, vps_catalog["plan"], expires_at=EXPIRY, addons={vps_catalog["ram"]: "1"})
        # Paid for the largest size, so that a credit is never capped by what was paid.
        charge_service(
            service,
            kind=ExpenseKind.PERIOD,
            key="paid",
            amount=Decimal("40.00"),
            description=Text.verbatim("period"),
            now=EXPIRY - timedelta(days=31),
            period_start=EXPIRY - timedelta(days=31),
            period_end=EXPIRY,
        )
    ServiceAddon.objects.filter(service=service, addon=vps_catalog["ram"]).update(quantity=old)
    now = EXPIRY - timedelta(seconds=seconds_left)
    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
    up = quote_change(priced, now=now, addons={"ram": str(new)}).total
    ServiceAddon.objects.filter(service=service, addon=vps_catalog["ram"]).update(quantity=new)
    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
    down = quote_change(priced, now=now, addons={"ram": str(old)}).total
    assert up + down == 0
    share = remaining_share(priced, now)
    bound = Decimal(abs(new - old) * 2) * share.numerator / share.denominator
    assert abs(up) <= bound + Decimal("0.01")
