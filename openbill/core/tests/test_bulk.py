"""core.bulk.insert_series: many rows from one statement, each the template's but for the
columns given as SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openbill.clients.models import Client
from openbill.core.bulk import insert_series
from openbill.core.tests import factories as f

# Ten rows on both databases (generate_series is PostgreSQL's only).
TEN = "(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < %s) SELECT g FROM s) AS series"


@pytest.mark.django_db
def test_each_row_is_the_template_but_for_the_varying_columns():
    provider = f.provider("Bulk")
    template = Client(provider=provider, name="x", email="x@bulk.test", balance_amount=Decimal("12.50"))

    inserted = insert_series(
        Client,
        template,
        varying={"name": "'Bulk ' || (g + %s)", "email": "'bulk' || g || '@bulk.test'"},
        source=TEN,
        params=[100, 9],
    )

    assert inserted == 10
    rows = list(Client.objects.filter(provider=provider).order_by("pk").values_list("name", "email", "balance_amount"))
    assert rows == [(f"Bulk {100 + i}", f"bulk{i}@bulk.test", Decimal("12.50")) for i in range(10)]
    assert {c.credit_limit for c in Client.objects.filter(provider=provider)} == {template.credit_limit}


@pytest.mark.django_db
def test_an_unknown_column_is_refused_and_nothing_is_written():
    provider = f.provider("Bulk")
    with pytest.raises(ValueError, match="no column"):
        insert_series(Client, Client(provider=provider), varying={"nickname": "'a'"}, source=TEN, params=[9])
    assert not Client.objects.filter(provider=provider).exists()
