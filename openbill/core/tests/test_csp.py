"""Content-Security-Policy: on every page, with no inline script; the templates keep to it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

import openbill

TEMPLATE_DIRS = [path for path in Path(openbill.__file__).parent.rglob("templates") if path.is_dir()]


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/", "/admin/login/", "/api/v1/docs/", "/api/v1/services/"])
def test_every_page_has_a_policy_without_inline_script(client: HttpClient, db: Any, path: str) -> None:
    policy = directives(client.get(path)["Content-Security-Policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["base-uri"] == "base-uri 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    # Inline style only on the API's third-party pages (Swagger UI, the browsable API).
    expected_style = "style-src 'self' 'unsafe-inline'" if path.startswith("/api/") else "style-src 'self'"
    assert policy["style-src"] == expected_style


def test_the_api_docs_page_has_no_inline_script_or_style(client: HttpClient, db: Any) -> None:
    page = client.get("/api/v1/docs/").content.decode()
    assert "<style" not in page
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all("src=" in tag for tag in scripts), scripts


@pytest.mark.parametrize("template", [p for d in TEMPLATE_DIRS for p in d.rglob("*.html")], ids=str)
def test_templates_have_no_inline_script_handler_or_style(template: Path) -> None:
    source = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", source):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", source), "an inline event handler"
    assert not re.search(r"<[a-zA-Z][^>]*\sstyle\s*=", source), "an inline style attribute"
    assert "<style" not in source
    assert "javascript:" not in source
