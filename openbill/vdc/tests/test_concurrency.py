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
