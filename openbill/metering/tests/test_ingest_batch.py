"""Ingestion of whole batches: what the set-based path must keep exactly as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.core.tests import factories as f
from openbill.metering.models import UsageRecord

from .factories import ingest, provider_token, record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 5, tzinfo=UTC)

pytestmark = pytest.mark.django_db

# Record ids are the provider's own text: quotes, backslashes, commas, braces, blanks inside,
# NULL spelled out, non-Latin letters — each must be stored and recognised as sent.
AWKWARD_IDS = ['a"b', "c\\d", "e,f", "{g}", "h i", "NULL", "ñandú-日本", "'quoted'", 'x\\"y', "tab\there"]


@pytest.fixture
def server(provider, vps_plan, alice):
    traffic(vps_plan)
    return f.service(alice, vps_plan)


def test_awkward_record_ids_are_stored_as_sent_and_recognised_when_sent_again(provider, server):
    batch = [record(server, "rx_bytes", DAY + timedelta(hours=n), "1", rid=rid) for n, rid in enumerate(AWKWARD_IDS)]
    first = ingest(provider, batch, NOW)
    again = ingest(provider, batch, NOW)
    changed = ingest(provider, [{**batch[0], "quantity": "2"}], NOW)

    assert (first.accepted, first.rejected) == (len(AWKWARD_IDS), [])
    assert sorted(UsageRecord.objects.values_list("record_id", flat=True)) == sorted(AWKWARD_IDS)
    assert (again.accepted, again.duplicates, again.rejected) == (0, len(AWKWARD_IDS), [])
    assert [(r["id"], r["field"]) for r in changed.rejected] == [('a"b', "id")]


def test_buckets_quantities_and_zones_are_stored_exactly(provider, server):
    east = datetime(2026, 3, 5, 1, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    batch = [
        {**record(server, "rx_bytes", east, "0.000000001", "GiB", rid="tiny")},
        {**record(server, "rx_bytes", DAY, "0", rid="zero")},
        {**record(server, "rx_bytes", DAY, "123456789.5", "bytes", rid="big")},
        {**record(server, "tx_bytes", DAY, " 7 ", rid="blanks")},
    ]
    result = ingest(provider, batch, NOW)
    stored = {r.record_id: r for r in UsageRecord.objects.all()}

    assert (result.accepted, result.rejected) == (4, [])
    assert stored["tiny"].at == datetime(2026, 3, 5, 1, 30, tzinfo=UTC)
    assert stored["tiny"].quantity == Decimal("1.073741824")  # 1e-9 GiB in bytes
    assert stored["zero"].quantity == 0
    assert stored["big"].quantity == Decimal("123456789.5")
    assert stored["blanks"].quantity == 7 * 1024**3


def test_a_record_id_with_a_nul_character_is_rejected_not_a_server_error(provider, server):
    token = provider_token(provider)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    hour_ago = timezone.now() - timedelta(hours=1)
    batch = [
        record(server, "rx_bytes", hour_ago, "1", rid="bad\x00id"),
        record(server, "rx_bytes", hour_ago, "1", rid="fine"),
    ]

    response = client.post("/api/v1/usage/", {"records": batch}, format="json")

    # Text with a NUL is refused by the API's parser for every endpoint, like a batch's other
    # shape errors: the whole batch, naming the record and field.
    assert response.status_code == 400
    assert "records.0.id" in response.json()["records"][0]
    assert not UsageRecord.objects.exists()


def test_a_batch_of_five_thousand_is_taken_in_one_call_and_repeated_harmlessly(provider, server):
    token = provider_token(provider)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    start = timezone.now() - timedelta(hours=2)
    batch = [
        record(server, "rx_bytes" if n % 2 else "tx_bytes", start + timedelta(seconds=n), "1", rid=f"n{n}")
        for n in range(5000)
    ]

    first = client.post("/api/v1/usage/", {"records": batch}, format="json").json()
    second = client.post("/api/v1/usage/", {"records": batch}, format="json").json()

    assert (first["accepted"], first["duplicates"], first["rejected"]) == (5000, 0, [])
    assert (second["accepted"], second["duplicates"], second["rejected"]) == (0, 5000, [])
    assert UsageRecord.objects.count() == 5000
