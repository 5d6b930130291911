"""The schema and the Swagger docs are served from this server, with no CDN."""

from __future__ import annotations

import re

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_is_public_valid_openapi(client):
    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"],
    }
    assert "/api/v1/services/{id}/history/" in schema["paths"]


def test_every_operation_documents_its_error_statuses(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if operation.get("security") and {} not in operation["security"]:
                assert {"401", "403"} <= codes, f"{method.upper()} {path}"
            if "{" in path:
                assert "404" in codes, f"{method.upper()} {path}"


def test_docs_page_loads_its_assets_from_this_server(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = [url for url in re.findall(r"""(?:src|href)=["']([^"']+)""", html) if "//" in url]
    assert external == []
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html


def _schema(client) -> dict:
    return client.get("/api/v1/schema/?format=json").json()


def _walk(node, path=()):
    """Every (path, sub-schema) of a schema document."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def _ref(prop: dict) -> str:
    """The component a property refers to, directly or through allOf (readOnly, nullable)."""
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[1]
    if prop.get("allOf"):
        return _ref(prop["allOf"][0])
    return ""


MONEY_NAMES = ("amount", "total", "price", "cost", "fee", "balance", "credit_limit", "refunded", "deficit", "available")


def test_every_amount_is_the_one_money_format_and_nothing_is_a_float(client):
    schema = _schema(client)
    components = schema["components"]["schemas"]

    floats = [
        "/".join(map(str, path))
        for path, node in _walk(schema)
        if isinstance(node, dict) and node.get("type") == "number"
    ]
    assert floats == []
    assert components["Money"] == {
        "type": "string",
        "format": "decimal",
        "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
        "description": components["Money"]["description"],
        "example": "10.00",
    }
    money = {
        f"{name}.{prop_name}": _ref(prop)
        for name, component in components.items()
        for prop_name, prop in component.get("properties", {}).items()
        if any(word in prop_name for word in MONEY_NAMES)
        and not prop_name.endswith("_text")
        and prop.get("type") != "array"  # lists of prices; the 402's message list
    }
    assert money.pop("AddonStatistics.total") == "Decimal"  # a usage total, in the add-on's unit
    assert money.pop("PoolLine.total") == ""  # a VDC pool's size in its resource's unit (cores, GiB)
    assert money.pop("CheckResult.available") == ""  # whether a domain name is free: a boolean
    assert len(money) >= 25
    assert {key: ref for key, ref in money.items() if ref != "Money"} == {}
    currencies = {
        f"{name}.currency": _ref(component["properties"]["currency"])
        for name, component in components.items()
        if "currency" in component.get("properties", {})
    }
    assert set(currencies.values()) == {"Currency"}
    assert _ref(components["ServiceAddon"]["properties"]["quantity"]) == "Decimal"
    assert _ref(components["OverageRow"]["properties"]["overage_amount"]) == "Money"
    assert _ref(components["ChangeQuote"]["properties"]["share"]) == "Decimal"


@pytest.mark.parametrize(
    ("component", "field", "enum"),
    [
        ("ServiceEvent", "kind", "ServiceEventKindEnum"),
        ("ServiceEvent", "actor_kind", "ActorKindEnum"),
        ("ServiceAddon", "billing_type", "BillingTypeEnum"),
        ("ServiceAddon", "value_type", "ValueTypeEnum"),
        ("Quote", "period", "PeriodEnum"),
        ("RenewQuote", "period", "PeriodEnum"),
        ("ChargeLine", "kind", "ChargeLineKindEnum"),
        ("Task", "operation", "OperationEnum"),
        ("Order", "status", "OrderStatusEnum"),
        ("Payment", "status", "PaymentStatusEnum"),
        ("OrderLine", "kind", "OrderLineKindEnum"),
    ],
)
def test_enum_like_strings_are_named_enums(client, component, field, enum):
    components = _schema(client)["components"]["schemas"]

    assert _ref(components[component]["properties"][field]) == enum
    assert components[enum]["type"] == "string" and components[enum]["enum"]


def test_history_statuses_are_the_status_enum_or_empty(client):
    components = _schema(client)["components"]["schemas"]

    for field in ("from_status", "to_status"):
        options = components["ServiceEvent"]["properties"][field]["oneOf"]
        assert [option["$ref"].rsplit("/", 1)[1] for option in options] == ["ServiceStatusEnum", "BlankEnum"]


def test_statuses_and_kinds_are_required_in_answers(client):
    components = _schema(client)["components"]["schemas"]

    assert "status" in components["Order"]["required"]
    assert "status" in components["Payment"]["required"]
    assert "kind" in components["OrderLine"]["required"]


def test_error_bodies_are_typed(client):
    schema = _schema(client)
    components = schema["components"]["schemas"]
    cart = schema["paths"]["/api/v1/cart/"]["post"]["responses"]

    assert cart["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationError")
    assert components["ValidationError"]["additionalProperties"]["oneOf"][0] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert cart["402"]["content"]["application/json"]["schema"]["$ref"].endswith("/InsufficientFunds")
    details = components["InsufficientFundsDetails"]
    assert {name: _ref(prop) for name, prop in details["properties"].items()} == {
        "amount": "Money",
        "available": "Money",
        "deficit": "Money",
    }
    assert set(details["required"]) == {"amount", "available", "deficit"}


def test_only_the_statuses_a_method_can_answer_are_listed(client):
    paths = _schema(client)["paths"]

    def codes(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    # A GET moves no money and takes no Idempotency-Key.
    for path, operations in paths.items():
        if "get" in operations:
            assert not {"402", "409", "422"} & codes(path, "get"), path
    assert {"402", "409", "422"} <= codes("/api/v1/orders/{id}/pay/", "post")
    assert "409" not in codes("/api/v1/orders/quote/", "post")
    assert "409" not in codes("/api/v1/tokens/", "post")
    assert "400" not in codes("/api/v1/tokens/{id}/", "delete")  # no body, no query
    assert "400" not in codes("/api/v1/services/{id}/reboot/", "post")


def test_response_headers_are_documented(client):
    paths = _schema(client)["paths"]

    renew = paths["/api/v1/services/{id}/renew/"]["post"]["responses"]
    assert renew["200"]["headers"]["Idempotent-Replayed"]["schema"] == {"type": "string", "enum": ["true"]}
    assert "Idempotent-Replayed" not in renew["401"].get("headers", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            if "429" in operation["responses"]:
                headers = operation["responses"]["429"]["headers"]
                assert headers["Retry-After"]["schema"]["type"] == "integer", f"{method} {path}"
            assert "414" in operation["responses"], f"{method} {path}"


def test_every_list_is_paginated(client):
    paths = _schema(client)["paths"]
    components = _schema(client)["components"]["schemas"]

    methods = paths["/api/v1/payment-methods/"]["get"]
    assert {"limit", "offset"} <= {parameter["name"] for parameter in methods["parameters"]}
    page = methods["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"count", "results"} <= set(components[page]["properties"])
    for path, operations in paths.items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        body = answer.get("content", {}).get("application/json", {}).get("schema", {})
        assert body.get("type") != "array", f"GET {path} answers a bare list"


def test_services_filters_say_what_they_match(client):
    parameters = {
        parameter["name"]: parameter for parameter in _schema(client)["paths"]["/api/v1/services/"]["get"]["parameters"]
    }

    assert parameters["ordering"]["explode"] is True
    assert parameters["ordering"]["schema"]["type"] == "array"
    assert "in_progress" not in parameters["status"]["schema"]["enum"]
    assert "in_progress" in parameters["label_code"]["schema"]["enum"]
    assert "status field" in parameters["status"]["description"]
    assert "label_code field" in parameters["label_code"]["description"]


def test_every_query_parameter_says_what_it_does(client):
    undescribed = [
        f"{method.upper()} {path} ?{parameter['name']}"
        for path, operations in _schema(client)["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and not parameter.get("description")
    ]

    assert undescribed == []
