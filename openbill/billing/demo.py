"""The demo's money of the past: each client's first payment comes before anything it paid for
(alice's bank transfer before her oldest service, a domain started more than a year ago), and a
bank fee corrected later. Posted in date order with the services' charges (core.demo.builder)."""

from __future__ import annotations

from typing import Any

from openbill.core.texts import Text

from .models import EntryKind


def build(demo: Any) -> None:
    demo.post(demo.alice, "1500.00", Text("top_up", method="bank"), kind=EntryKind.PAYMENT, days_ago=400, key="alice:topup1")
    demo.post(demo.bob, "120.00", Text("top_up", method="card"), kind=EntryKind.PAYMENT, days_ago=30, key="bob:topup1")
    demo.post(
        demo.alice, "-2.50", Text("correction", reason="bank fee"), kind=EntryKind.CORRECTION, days_ago=5, key="alice:correction1"
    )
