"""Every form control of the client area has a label a screen reader can announce."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client as HttpClient

from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db


class Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "label" and attributes.get("for"):
            self.labels.add(attributes["for"] or "")
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.controls.append(attributes)


def unlabelled(html: str) -> list[dict[str, str | None]]:
    parser = Controls()
    parser.feed(html)
    assert parser.lang, "the page states its language"
    assert parser.controls, "the page has form controls (at least the language switch)"
    return [c for c in parser.controls if not (c.get("aria-label") or (c.get("id") and c["id"] in parser.labels))]


@pytest.mark.parametrize("url", ["/login/", "/signup/", "/password-reset/"])
def test_public_forms_label_every_control(provider: Any, url: str) -> None:
    assert unlabelled(HttpClient().get(url).content.decode()) == []


@pytest.mark.parametrize(
    "page",
    [
        "/",
        "/services/",
        "service",
        "history",
        "/finances/",
        "/profile/",
        "/profile/password/",
        "/profile/confirm/",
        "/profile/2fa/enable/",
    ],
)
def test_client_pages_label_every_control(alice: Any, alice_http: HttpClient, vps_plan: Any, page: str) -> None:
    service = f.service(alice, vps_plan)
    url = {"service": f"/services/{service.pk}/", "history": f"/services/{service.pk}/history/"}.get(page, page)
    response = alice_http.get(url)
    assert response.status_code == 200
    assert unlabelled(response.content.decode()) == []
