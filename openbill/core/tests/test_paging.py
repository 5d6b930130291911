"""``core.paging.page_of`` gives the page Django's paginator gives, and reads a list that fits on
its first page with one query instead of two."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openbill.clients.models import Client
from openbill.core.paging import page_of
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

NUMBERS = [None, "", "1", "2", "3", "0", "-1", "abc", "1.5", "99", 1, 2]


def described(page: Any) -> tuple[Any, ...]:
    paginator = page.paginator
    return (
        [row.pk for row in page.object_list],
        page.number,
        paginator.count,
        paginator.num_pages,
        page.has_next(),
        page.has_previous(),
        page.start_index(),
        page.end_index(),
    )


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, 25])
def test_every_page_is_the_paginators(size: int) -> None:
    provider = f.provider(f"Paging {size}")
    for number in range(size):
        Client.objects.create(provider=provider, name=f"c{number}", email=f"c{number}@paging.test")
    rows = Client.objects.filter(provider=provider).order_by("id")
    for number in NUMBERS:
        assert described(page_of(rows, 10, number)) == described(Paginator(rows, 10).get_page(number)), number


def test_a_list_that_fits_its_first_page_is_read_in_one_query() -> None:
    provider = f.provider("Paging small")
    for number in range(3):
        Client.objects.create(provider=provider, name=f"c{number}", email=f"c{number}@small.test")
    rows = Client.objects.filter(provider=provider).order_by("id")
    with CaptureQueriesContext(connection) as fitting:
        assert described(page_of(rows, 10, None))[2:4] == (3, 1)
    with CaptureQueriesContext(connection) as full:
        assert described(page_of(rows, 2, None))[2:4] == (3, 2)
    assert len(fitting) == 1  # no count: the short first page is the count
    assert len(full) == 2  # a full first page: read once, then counted
