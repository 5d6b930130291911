"""Parallel allocations from a nearly full pool (PostgreSQL, threads released together): every
address goes to one service only, and the services that find no room get none."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.tests.concurrency import together
from openbill.ipam import actions as ipam
from openbill.ipam.models import Address, AddressState

from .conftest import make_pool

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_allocations_from_a_nearly_full_pool_never_share_an_address(
    provider: Any, alice: Any, vps_plan: Any
) -> None:
    # /28: 14 host addresses, the gateway and 8 exclusions leave 5; 2 are already taken: 3 free.
    pool = make_pool(provider, "203.0.113.0/28", gateway="203.0.113.1", excluded="203.0.113.2-203.0.113.9")
    now = timezone.now()
    for n in range(2):
        ipam.allocate(f.service(alice, vps_plan, name=f"old{n}"), now=now, actor=Actor.system())
    newcomers = [f.service(alice, vps_plan, name=f"new{n}") for n in range(6)]

    results = together(*(lambda s=s: ipam.allocate(s, now=now, actor=Actor.system()) for s in newcomers))

    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ipam.NoRoom) for e in errors), errors
    assert len(errors) == 3
    given = list(Address.objects.filter(pool=pool, state=AddressState.ACTIVE).values_list("address", flat=True))
    assert len(given) == len(set(given)) == 5
    assert sorted(given, key=lambda a: int(a.rsplit(".", 1)[1])) == [f"203.0.113.{n}" for n in range(10, 15)]
    for service in newcomers:
        assert Address.objects.filter(service=service).count() <= 1
