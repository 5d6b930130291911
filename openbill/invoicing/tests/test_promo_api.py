"""The staff API for promo codes: create, list, retrieve, end, delete an unused one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.core.tests import factories as f
from openbill.invoicing.models import PromoCode
from openbill.orders import actions as orders

from .helpers import CLIENT

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
URL = "/api/v1/staff/promo-codes/"


def token_client(user: Any) -> APIClient:
    _, raw = ApiToken.issue(user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture(autouse=True)
def _frozen_and_fresh() -> Any:
    cache.clear()  # the API's throttle
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff_api(staff: Any) -> APIClient:
    return token_client(staff)


def spring(provider: Any, vps_plan: Any, **extra: Any) -> dict[str, Any]:
    return {
        "provider": provider.pk,
        "code": " spring10 ",
        "kind": "percent",
        "value": "10",
        "tariffs": [vps_plan.pk],
        "periods": ["month", "year"],
        "scope": "renewals",
        "renewals": 2,
        "valid_until": "2026-06-01T00:00:00Z",
        "max_uses": 100,
        "max_uses_per_client": 1,
        **extra,
    }


def test_staff_create_list_and_retrieve_a_code(staff_api: APIClient, provider: Any, vps_plan: Any) -> None:
    made = staff_api.post(URL, spring(provider, vps_plan), format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert {
        k: body[k] for k in ("code", "kind", "value", "tariffs", "periods", "scope", "renewals", "uses", "active")
    } == {
        "code": "SPRING10",
        "kind": "percent",
        "value": "10.00",
        "tariffs": [vps_plan.pk],
        "periods": ["month", "year"],
        "scope": "renewals",
        "renewals": 2,
        "uses": 0,
        "active": True,
    }
    promo = PromoCode.objects.get(pk=body["id"])
    assert (promo.value, promo.max_uses_per_client, list(promo.tariffs.all())) == (Decimal(10), 1, [vps_plan])
    listed = staff_api.get(URL, {"provider": provider.pk}).json()["results"]
    assert [row["code"] for row in listed] == ["SPRING10"]
    assert staff_api.get(f"{URL}{promo.pk}/").json() == body
    assert staff_api.get(URL, {"provider": provider.pk + 1}).json()["results"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "120"}, "value"),  # a percentage above 100
        ({"value": "0"}, "value"),
        ({"kind": "gift"}, "kind"),
        ({"periods": ["fortnight"]}, "periods"),
        ({"valid_until": "2026-04-01T00:00:00Z", "valid_from": "2026-05-01T00:00:00Z"}, "valid_until"),
        ({"scope": "every", "renewals": 2}, "renewals"),
        ({"tariffs": [999999]}, "tariffs"),
        ({"max_uses": 0}, "max_uses"),
        ({"code": "   "}, "code"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_create_nothing(
    staff_api: APIClient, provider: Any, vps_plan: Any, change: dict[str, Any], field: str
) -> None:
    answer = staff_api.post(URL, spring(provider, vps_plan, **change), format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not PromoCode.objects.exists()


def test_a_second_code_of_the_same_text_and_another_providers_tariff_are_400(
    staff_api: APIClient, provider: Any, vps_plan: Any
) -> None:
    assert staff_api.post(URL, spring(provider, vps_plan), format="json").status_code == 201
    again = staff_api.post(URL, spring(provider, vps_plan, code="Spring10"), format="json")
    assert again.status_code == 400 and "code" in again.json()
    other = f.tariff(f.product_type(f.provider("Other Hosting")), "Other-1", prices={"month": "5.00"})
    foreign = staff_api.post(URL, spring(provider, vps_plan, code="X", tariffs=[other.pk]), format="json")
    assert foreign.status_code == 400 and "tariffs" in foreign.json()
    assert PromoCode.objects.count() == 1


def test_a_client_token_gets_403(alice_user: Any, provider: Any, vps_plan: Any) -> None:
    api = token_client(alice_user)
    assert api.get(URL).status_code == 403
    assert api.post(URL, spring(provider, vps_plan), format="json").status_code == 403
    assert not PromoCode.objects.exists()


def test_deactivate_ends_the_code_once_and_a_used_code_is_not_deleted(
    staff_api: APIClient, provider: Any, vps_plan: Any, alice: Any
) -> None:
    promo_id = staff_api.post(URL, spring(provider, vps_plan), format="json").json()["id"]
    orders.order_now(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW, promo_code="spring10")
    assert staff_api.get(f"{URL}{promo_id}/").json()["uses"] == 1
    # Used: not deleted (409), it stays with its use.
    refused = staff_api.delete(f"{URL}{promo_id}/")
    assert refused.status_code == 409
    assert PromoCode.objects.filter(pk=promo_id).exists()
    ended = staff_api.post(f"{URL}{promo_id}/deactivate/")
    assert ended.status_code == 200
    assert ended.json()["active"] is False and ended.json()["valid_until"] == "2026-05-04T10:00:00Z"
    assert staff_api.post(f"{URL}{promo_id}/deactivate/").status_code == 409
    with pytest.raises(Exception, match="not valid now"):
        orders.order_now(alice, tariff=vps_plan.pk, period="month", actor=CLIENT, now=NOW, promo_code="spring10")


def test_an_unused_code_can_be_deleted(staff_api: APIClient, provider: Any, vps_plan: Any) -> None:
    promo_id = staff_api.post(URL, spring(provider, vps_plan), format="json").json()["id"]
    assert staff_api.delete(f"{URL}{promo_id}/").status_code == 204
    assert not PromoCode.objects.exists()
    assert staff_api.delete(f"{URL}{promo_id}/").status_code == 404


def test_the_schema_types_the_promo_code_fields(staff_api: APIClient) -> None:
    schema = staff_api.get("/api/v1/schema/", {"format": "json"}).json()
    props = schema["components"]["schemas"]["PromoCode"]["properties"]
    assert props["value"]["type"] == "string" and props["value"]["format"] == "decimal"
    assert props["tariffs"]["items"]["type"] == "integer"
    assert props["uses"]["readOnly"] is True and props["active"]["type"] == "boolean"
    assert "/api/v1/staff/promo-codes/{id}/deactivate/" in schema["paths"]
    assert set(schema["paths"]["/api/v1/staff/promo-codes/{id}/"]) >= {"get", "delete"}
