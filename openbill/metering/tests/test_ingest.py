"""Ingestion: idempotent per record id, bad records rejected one by one, provider tokens only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.core.tests import factories as f
from openbill.metering.models import ProviderToken, UsageRecord

from .factories import ingest, provider_token, record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 5, tzinfo=UTC)


@pytest.fixture
def server(provider, vps_plan, alice):
    traffic(vps_plan)
    return f.service(alice, vps_plan)


def snapshot():
    return sorted(UsageRecord.objects.values_list("record_id", "service_id", "resource", "on", "quantity"))


def test_ingesting_the_same_batch_twice_changes_nothing(provider, server):
    batch = [record(server, "rx_bytes", DAY + timedelta(hours=h), str(h + 1)) for h in range(24)]
    first = ingest(provider, batch, NOW)
    stored = snapshot()
    second = ingest(provider, batch, NOW + timedelta(minutes=1))

    assert (first.accepted, first.duplicates, first.rejected) == (24, 0, [])
    assert (second.accepted, second.duplicates, second.rejected) == (0, 24, [])
    assert snapshot() == stored
    assert len(stored) == 24


def test_the_same_id_with_another_quantity_is_rejected_for_that_record_only(provider, server):
    ingest(provider, [record(server, "rx_bytes", DAY, "10", rid="a")], NOW)
    result = ingest(
        provider,
        [record(server, "rx_bytes", DAY, "11", rid="a"), record(server, "rx_bytes", DAY, "5", rid="b")],
        NOW,
    )
    assert result.accepted == 1
    assert [(r["id"], r["field"]) for r in result.rejected] == [("a", "id")]
    assert UsageRecord.objects.get(record_id="a").quantity == Decimal(10 * 1024**3)


def test_the_same_quantity_in_another_unit_is_the_same_record(provider, server):
    ingest(provider, [record(server, "rx_bytes", DAY, "1", "GiB", rid="a")], NOW)
    again = ingest(provider, [record(server, "rx_bytes", DAY, "1024", "MiB", rid="a")], NOW)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 1, [])


def test_bad_records_are_rejected_one_by_one_and_the_good_ones_kept(provider, server, vps_plan, bob):
    other_provider = f.provider("Elsewhere")
    stranger = f.client(other_provider, "carol@test.test")
    foreign = f.service(stranger, f.tariff(f.product_type(other_provider), "X"))
    deleted = f.service(bob, vps_plan, status="deleted")
    good = record(server, "rx_bytes", DAY, "3", rid="good")
    batch = [
        record(server, "rx_bytes", DAY, "1", rid="ok-1"),
        {**good, "id": "unknown-service", "service": 999999},
        {**good, "id": "foreign", "service": foreign.pk},
        {**good, "id": "deleted", "service": deleted.pk},
        {**good, "id": "unknown-resource", "resource": "disk_io"},
        {**good, "id": "negative", "quantity": "-1"},
        {**good, "id": "not-a-number", "quantity": "lots"},
        {**good, "id": "future", "at": (NOW + timedelta(minutes=5)).isoformat()},
        {**good, "id": "closed", "at": datetime(2026, 1, 31, tzinfo=UTC).isoformat()},
        {**good, "id": "naive", "at": "2026-03-05T10:00:00"},
        {**good, "id": "wrong-unit", "unit": "hours"},
        {**good, "id": ""},
        "not an object",
        good,
    ]
    result = ingest(provider, batch, NOW)

    assert result.accepted == 2
    assert [(r["index"], r["field"]) for r in result.rejected] == [
        (1, "service"),
        (2, "service"),
        (3, "service"),
        (4, "resource"),
        (5, "quantity"),
        (6, "quantity"),
        (7, "at"),
        (8, "at"),
        (9, "at"),
        (10, "unit"),
        (11, "id"),
        (12, "records"),
    ]
    reasons = {r["id"]: r["reason"] for r in result.rejected}
    assert reasons["unknown-service"] == "Unknown service."
    assert reasons["foreign"] == "Unknown service."
    assert reasons["negative"] == "The quantity must not be negative."
    assert reasons["future"] == "The bucket is in the future."
    assert sorted(UsageRecord.objects.values_list("record_id", flat=True)) == ["good", "ok-1"]


# --- the API ----------------------------------------------------------------------------------
def api(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_api_takes_a_batch_with_a_provider_token(provider, server):
    token = provider_token(provider)
    batch = [record(server, "rx_bytes", timezone.now() - timedelta(hours=h + 1), "2") for h in range(3)]
    batch.append({**batch[0], "id": "bad", "quantity": "-2"})

    response = api(token).post("/api/v1/usage/", {"records": batch}, format="json")
    again = api(token).post("/api/v1/usage/", {"records": batch}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 3
    assert response.json()["rejected"] == [
        {"index": 3, "id": "bad", "field": "quantity", "reason": "The quantity must not be negative."}
    ]
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 3
    assert UsageRecord.objects.count() == 3
    assert ProviderToken.objects.get().last_used_at is not None


def test_the_api_refuses_client_tokens_revoked_tokens_and_no_token(provider, server, alice_user):
    batch = {"records": [record(server, "rx_bytes", timezone.now() - timedelta(hours=1), "2")]}
    _token, client_raw = ApiToken.issue(alice_user, "mine")
    revoked, revoked_raw = ProviderToken.issue(provider, "old")
    revoked.revoked_at = timezone.now()
    revoked.save()

    assert api(None).post("/api/v1/usage/", batch, format="json").status_code == 401
    # A valid token of the wrong kind: refused as such (403), not as a failed guess.
    assert api(client_raw).post("/api/v1/usage/", batch, format="json").status_code == 403
    assert api(revoked_raw).post("/api/v1/usage/", batch, format="json").status_code == 401
    assert UsageRecord.objects.count() == 0


def test_provider_tokens_are_stored_hashed_and_do_not_open_the_client_api(provider, alice_user):
    token, raw = ProviderToken.issue(provider, "meter")
    assert raw not in (token.key_hash, token.key_prefix)
    assert raw.startswith("obp_")
    assert api(raw).get("/api/v1/services/").status_code == 403


@pytest.mark.parametrize(
    "body",
    [{}, {"records": []}, {"records": "x"}, [1, 2]],
)
def test_a_body_without_a_list_of_records_is_a_400_naming_records(provider, body):
    response = api(provider_token(provider)).post("/api/v1/usage/", body, format="json")
    assert response.status_code == 400
    assert "records" in response.json()


def test_a_batch_over_the_limit_is_refused_whole(provider, server):
    batch = [record(server, "rx_bytes", DAY, "1", rid=str(i)) for i in range(5001)]
    response = api(provider_token(provider)).post("/api/v1/usage/", {"records": batch}, format="json")
    assert response.status_code == 400
    assert UsageRecord.objects.count() == 0


def test_a_record_of_the_wrong_shape_is_a_400_naming_the_record_and_field(provider, server):
    good = record(server, "rx_bytes", timezone.now() - timedelta(hours=1), "1")
    body = {"records": [good, {**good, "id": "b", "service": "12"}, {"id": "c"}]}
    response = api(provider_token(provider)).post("/api/v1/usage/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["records"]
    assert errors["1"] == {"service": ["Wrong type."]}
    assert set(errors["2"]) == {"service", "resource", "at", "quantity"}
    assert UsageRecord.objects.count() == 0
