"""One token authentication for the whole API: client tokens (``obt_``) and provider tokens
(``obp_``) are both recognised everywhere; a valid token of the wrong kind is a 403 and never
counts towards the failed-token limit of the caller's address. Every 429 names its limit."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.metering.models import ProviderToken, UsageRecord

pytestmark = pytest.mark.django_db

USAGE = {"records": [{"id": "r1", "service": 1, "metric": "rx_bytes", "at": "2020-01-01T00:00:00Z", "value": "1"}]}


def _api(raw: str, address: str = "127.0.0.1") -> APIClient:
    api = APIClient(REMOTE_ADDR=address)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_valid_client_tokens_on_the_usage_endpoint_are_403_and_never_lock_the_address_out(alice_user: Any) -> None:
    # Thirty valid client tokens sent where a provider token belongs (a misconfigured meter).
    raws = [ApiToken.issue(alice_user, f"t{i}")[1] for i in range(30)]

    answers = [_api(raw).post("/api/v1/usage/", USAGE, format="json") for raw in raws]

    assert {answer.status_code for answer in answers} == {403}
    assert answers[0].json()["code"] == "wrong_token_kind"
    assert "provider" in answers[0].json()["detail"]
    assert UsageRecord.objects.count() == 0
    # Every token request from that address still works: nothing was counted as a failure.
    assert _api(raws[0]).get("/api/v1/me/").status_code == 200
    assert _api(raws[0]).post("/api/v1/cart/", {}, format="json").status_code != 429


def test_valid_provider_tokens_on_client_endpoints_are_403_and_never_lock_the_address_out(
    provider: Any, alice_user: Any
) -> None:
    raws = [ProviderToken.issue(provider, f"meter {i}")[1] for i in range(30)]

    answers = [_api(raw).get("/api/v1/services/") for raw in raws]

    assert {answer.status_code for answer in answers} == {403}
    assert answers[0].json()["code"] == "wrong_token_kind"
    _, client_raw = ApiToken.issue(alice_user, "mine")
    assert _api(client_raw).get("/api/v1/services/").status_code == 200
    assert _api(raws[0]).post("/api/v1/usage/", {"records": []}, format="json").status_code == 400


def test_unknown_tokens_of_either_kind_count_and_the_429_names_its_limit(alice_user: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token_auth_failure": "4/min"}}
    _, raw = ApiToken.issue(alice_user, "real")

    statuses = [
        _api("obt_guess1").get("/api/v1/me/").status_code,
        _api("obp_guess2").post("/api/v1/usage/", USAGE, format="json").status_code,
        _api("obt_guess3").post("/api/v1/usage/", USAGE, format="json").status_code,
        _api("nonsense").get("/api/v1/me/").status_code,
    ]
    blocked = _api(raw).post("/api/v1/cart/", {}, format="json")

    assert statuses == [401, 401, 401, 401]
    assert blocked.status_code == 429
    body = blocked.json()
    assert body["code"] == "too_many_failed_tokens"
    assert "4" in body["detail"] and "address" in body["detail"]
    assert int(blocked["Retry-After"]) >= 1
    # Another address is not affected.
    assert _api(raw, address="10.0.0.9").get("/api/v1/me/").status_code == 200


def test_limits_count_the_address_the_trusted_proxies_report(alice_user: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 1,
        "DEFAULT_THROTTLE_RATES": {"token_auth_failure": "2/min"},
    }
    _, raw = ApiToken.issue(alice_user, "real")

    def call(token: str, forwarded_for: str) -> int:
        api = _api(token, address="10.0.0.1")  # the proxy
        return api.get("/api/v1/me/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert [call("obt_guess", "203.0.113.5") for _ in range(3)] == [401, 401, 429]
    # Another client behind the same proxy is not locked out; a forged header further left is ignored.
    assert call(raw, "203.0.113.6") == 200
    assert call(raw, "203.0.113.6, 203.0.113.5") == 429
    assert call(raw, "203.0.113.5, 203.0.113.6") == 200


def test_with_no_trusted_proxy_every_client_behind_a_proxy_counts_as_the_proxy(alice_user: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token_auth_failure": "2/min"}}
    _, raw = ApiToken.issue(alice_user, "real")
    proxy = _api("obt_guess", address="10.0.0.1")

    assert [proxy.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code for _ in range(2)] == [401, 401]

    assert _api(raw, address="10.0.0.1").get("/api/v1/me/", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 429
