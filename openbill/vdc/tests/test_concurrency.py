"""Parallel machine creations in one VDC (PostgreSQL, threads released together by a barrier):
the pool's limit holds because each creation counts what is left under the VDC's row lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.tests.concurrency import together
from openbill.vdc import actions
from openbill.vdc.models import Machine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_creates_never_exceed_the_pool(alice_vdc: Any, debian: Any) -> None:
    # 8 CPU cores; four requests of 3 at once: two fit (6), the others are refused.
    def create(name: str) -> Callable[[], Any]:
        return lambda: actions.create_machine(
            alice_vdc, name=name, template=debian, cpu=3, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
        )

    results = together(*(create(f"m{i}") for i in range(4)))

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 2, results
    assert all("leaves 2" in r.message for r in refused)
    assert sum(Machine.objects.filter(service=alice_vdc).values_list("cpu", flat=True)) == 6


def test_parallel_machines_of_two_data_centers_never_share_a_public_address(
    alice_vdc: Any, bob_vdc: Any, debian: Any, provider: Any, vdc_host: Any
) -> None:
    from openbill.core.errors import Conflict
    from openbill.ipam.tests.conftest import make_pool

    make_pool(provider, "198.51.100.0/30", modules=[vdc_host])  # one free address left after .1
    first = actions.create_machine(
        alice_vdc, name="a0", template=debian, cpu=1, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
    )
    assert first.public_ipv4 == "198.51.100.1"

    def create(vdc: Any, name: str) -> Callable[[], Any]:
        return lambda: actions.create_machine(
            vdc, name=name, template=debian, cpu=1, ram=1, disk=10, actor=Actor.system("t"), now=timezone.now()
        )

    results = together(create(alice_vdc, "a1"), create(bob_vdc, "b1"))

    made = [r for r in results if isinstance(r, Machine)]
    assert len(made) == 1 and made[0].public_ipv4 == "198.51.100.2", results
    refused = [r for r in results if not isinstance(r, Machine)]
    assert (
        len(refused) == 1 and isinstance(refused[0], Conflict) and "No public IPv4 address is free" in str(refused[0])
    )
    addresses = Machine.objects.exclude(address=None).values_list("address__address", flat=True)
    assert sorted(addresses) == ["198.51.100.1", "198.51.100.2"]
