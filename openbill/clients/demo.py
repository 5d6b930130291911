"""The demo's provider and people: staff's admin, alice (English) and bob (Spanish), each the
owner of a client account; the password of every demo login is ``demo``."""

from __future__ import annotations

from typing import Any

from openbill.clients.models import Provider
from openbill.core.demo.builder import PROVIDER_NAME


def build(demo: Any) -> None:
    demo.provider = Provider.objects.create(
        name=PROVIDER_NAME,
        currency="USD",
        time_zone="UTC",
        support_email="support@demo.test",
        bank_details="Demo Bank, IBAN XX00 0000 0000 0000, reference: your client number",
    )
    demo.user("admin@demo.test", is_staff=True, is_superuser=True)
    demo.alice = demo.client("alice@demo.test", "Alice Example")
    demo.bob = demo.client("bob@demo.test", "Bob Sample", language="es")
