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
