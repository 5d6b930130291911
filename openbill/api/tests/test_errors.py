"""Every API error, from every layer (parsers, DRF, URL routing, middleware, crashes), is the one
documented JSON shape: ``detail`` and ``code``, field keys for input errors, and ``request_id``
(also the ``X-Request-ID`` header) on a 5xx."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rest_framework.test import APIClient

from openbill.api.tests.conftest import token_client
from openbill.core.tests import factories as f

MONEY_ENDPOINTS = [
    "/api/v1/cart/",
    "/api/v1/orders/",
    "/api/v1/orders/quote/",
    "/api/v1/payments/",
    "/api/v1/tokens/",
    "/api/v1/services/{id}/renew/",
    "/api/v1/services/{id}/change/",
]


def assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    return body


@pytest.fixture
def service(alice: Any, vps_plan: Any) -> Any:
    return f.service(alice, vps_plan)


def test_a_too_long_idempotency_key_is_the_documented_error(alice_api: APIClient, vps_plan: Any) -> None:
    response = alice_api.post(
        "/api/v1/cart/", {"tariff": vps_plan.pk, "period": "month"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 201
    )
    body = assert_error_shape(response, 400)
    assert body["code"] == "invalid"
    assert body["Idempotency-Key"] == [body["detail"]]


def test_an_id_with_an_encoded_newline_in_the_path_is_a_json_404(alice_api: APIClient, service: Any) -> None:
    for path in [
        f"/api/v1/services/{service.pk}/%0A",
        f"/api/v1/services/{service.pk}/%0Arenew/",
        "/api/v1/services/x%0A/",
        "/api/v1/%0A",
    ]:
        assert assert_error_shape(alice_api.get(path), 404)["code"] == "not_found"


def test_a_method_the_endpoint_does_not_take_is_a_json_405(alice_api: APIClient) -> None:
    assert assert_error_shape(alice_api.delete("/api/v1/orders/quote/"), 405)["code"] == "method_not_allowed"


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
def test_a_body_over_the_limit_is_a_json_413_naming_the_limit(
    alice_api: APIClient, service: Any, settings: Any, endpoint: str
) -> None:
    body = b'{"a": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    response = alice_api.generic("POST", endpoint.format(id=service.pk), body, content_type="application/json")
    error = assert_error_shape(response, 413)
    assert error["code"] == "request_too_large"
    assert error["max_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.parametrize("endpoint", MONEY_ENDPOINTS)
def test_deeply_nested_json_is_a_400(alice_api: APIClient, service: Any, endpoint: str) -> None:
    body = '{"parameters": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = alice_api.generic("POST", endpoint.format(id=service.pk), body, content_type="application/json")
    assert assert_error_shape(response, 400)["code"] == "parse_error"


def test_nesting_is_allowed_to_the_documented_depth_and_no_further() -> None:
    from io import BytesIO

    from rest_framework.exceptions import ParseError

    from openbill.api.parsers import MAX_DEPTH, JSONParser

    def parse(depth: int) -> Any:
        return JSONParser().parse(BytesIO(("[" * depth + "]" * depth).encode()))

    assert parse(MAX_DEPTH) is not None
    with pytest.raises(ParseError):
        parse(MAX_DEPTH + 1)


@pytest.mark.parametrize(
    "value", ["\\ud800", "a\\u0000b", "\\udfff tail"], ids=["lone high surrogate", "NUL", "lone low surrogate"]
)
def test_a_string_with_a_lone_surrogate_or_nul_is_a_400_naming_the_field(
    alice_api: APIClient, vps_plan: Any, value: str
) -> None:
    raw = '{"tariff": ' + str(vps_plan.pk) + ', "period": "' + value + '"}'
    response = alice_api.generic(
        "POST", "/api/v1/cart/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="surrogate"
    )
    body = assert_error_shape(response, 400)
    assert "period" in body
    # The same key again: the stored answer is replayed, not a 500.
    again = alice_api.generic(
        "POST", "/api/v1/cart/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="surrogate"
    )
    assert (again.status_code, json.loads(again.content)) == (400, body)


def test_a_nul_inside_a_nested_value_names_its_top_level_field(alice_api: APIClient, vps_plan: Any) -> None:
    raw = '{"tariff": ' + str(vps_plan.pk) + ', "period": "month", "parameters": {"hostname": "a\\u0000"}}'
    body = assert_error_shape(alice_api.generic("POST", "/api/v1/cart/", raw, content_type="application/json"), 400)
    assert "parameters" in body and "parameters.hostname" in body["parameters"][0]


def test_a_form_body_with_a_nul_is_a_400_too(alice_api: APIClient) -> None:
    response = alice_api.post("/api/v1/tokens/", {"name": "a\x00b"})
    assert "name" in assert_error_shape(response, 400)


def test_a_crash_in_a_view_is_a_json_500_with_a_logged_request_id(
    alice_user: Any, service: Any, monkeypatch: Any, caplog: Any
) -> None:
    def explode(service: Any) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("openbill.orders.api.views.render_instructions", explode)
    service.product_type.instruction_template = "x"
    service.product_type.save()
    api = token_client(alice_user)
    api.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = api.get(f"/api/v1/services/{service.pk}/instructions/")
    body = assert_error_shape(response, 500)
    assert body["code"] == "server_error"
    assert body["request_id"] == response["X-Request-ID"] and len(body["request_id"]) >= 16
    assert "boom" not in response.content.decode()
    assert any(body["request_id"] in record.getMessage() and record.exc_info for record in caplog.records)


def test_a_crash_in_a_middleware_is_a_json_500_with_a_request_id(
    alice_user: Any, monkeypatch: Any, caplog: Any
) -> None:
    def explode(self: Any, request: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("openbill.accounts.middleware.ClientMiddleware.__call__", explode)
    api = token_client(alice_user)
    api.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = api.get("/api/v1/services/")
    body = assert_error_shape(response, 500)
    assert body["request_id"] == response["X-Request-ID"]
    assert any(body["request_id"] in record.getMessage() for record in caplog.records)


def test_a_crash_on_a_browser_page_keeps_the_html_error_page(client: Any, alice_user: Any, monkeypatch: Any) -> None:
    def explode(self: Any, request: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("openbill.accounts.middleware.ClientMiddleware.__call__", explode)
    client.raise_request_exception = False
    response = client.get("/login/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Request-ID"]


def test_a_5xx_answered_by_the_exception_handler_gains_a_request_id(
    alice_user: Any, service: Any, monkeypatch: Any, caplog: Any
) -> None:
    from rest_framework.exceptions import APIException

    def unavailable(service: Any) -> str:
        raise APIException("Try later.")

    monkeypatch.setattr("openbill.orders.api.views.render_instructions", unavailable)
    service.product_type.instruction_template = "x"
    service.product_type.save()
    with caplog.at_level(logging.ERROR):
        response = token_client(alice_user).get(f"/api/v1/services/{service.pk}/instructions/")
    body = assert_error_shape(response, 500)
    assert body["request_id"] == response["X-Request-ID"]
    assert any(body["request_id"] in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services/65763837664492933049483264/",
        "/api/v1/domains/65763837664492933049483264/ns/",
        "/api/v1/services/9223372036854775808/ips/",
    ],
)
def test_an_id_no_row_can_have_is_a_json_404(alice_user, path):
    from openbill.api.tests.conftest import token_client

    answer = token_client(alice_user).get(path)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.django_db
def test_an_id_no_row_can_have_is_a_404_page_in_the_client_area(alice_user):
    from django.test import Client as HttpClient

    web = HttpClient()
    web.force_login(alice_user)
    assert web.get("/services/65763837664492933049483264/").status_code == 404
    assert web.get("/support/9223372036854775808/").status_code == 404
