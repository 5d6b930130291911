"""Verify: for a zone with document verification the client sends one or two documents (the
support attachment rules), they are mailed to the registrar's address, the status follows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.domains.actions import order_domain
from openbill.domains.models import Domain
from openbill.domains.tasks import send_documents

from .conftest import make_zone

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def verified_zone(provider: Any, registrar: Any) -> Any:
    return make_zone(
        provider, "example", registrar, verification_required=True, verification_email="docs@registry.test"
    )


def test_verify_sends_the_documents_to_the_registrar(
    alice: Any, alice_http: Any, bob_http: Any, verified_zone: Any, owner_contact: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    line = order_domain(
        alice,
        name="alice.example",
        action="register",
        contacts={"owner": owner_contact},
        actor=Actor("client", None, "alice"),
        now=timezone.now(),
    )
    url = reverse("clientarea:service_domain_verify", args=[line.service.pk])
    page = alice_http.get(reverse("clientarea:service_domain", args=[line.service.pk])).content.decode()
    assert "Verification required" in page
    bad = alice_http.post(url, {"documents": [SimpleUploadedFile("x.exe", b"MZ\x90\x00")]})
    assert bad.status_code == 400 and "not accepted" in bad.content.decode()
    three = [SimpleUploadedFile(f"p{i}.pdf", PDF) for i in range(3)]
    assert alice_http.post(url, {"documents": three}).status_code == 400
    assert Domain.objects.get().verification == "required"
    assert bob_http.post(url, {"documents": [SimpleUploadedFile("id.pdf", PDF)]}).status_code == 404
    ok = alice_http.post(url, {"documents": [SimpleUploadedFile("id.pdf", PDF), SimpleUploadedFile("deed.pdf", PDF)]})
    assert ok.status_code == 302
    domain = Domain.objects.get()
    assert domain.verification == "submitted" and [d.name for d in domain.documents.all()] == ["id.pdf", "deed.pdf"]
    assert alice_http.post(url, {"documents": [SimpleUploadedFile("id.pdf", PDF)]}).status_code == 409
    assert send_documents.call(domain.pk) == "sent"
    sent = mail.outbox[-1]
    assert sent.to == ["docs@registry.test"] and [a[0] for a in sent.attachments] == ["id.pdf", "deed.pdf"]


def test_zone_without_verification_refuses(alice: Any, alice_http: Any, test_zone: Any, owner_contact: Any) -> None:
    line = order_domain(
        alice,
        name="alice.test",
        action="register",
        contacts={"owner": owner_contact},
        actor=Actor("client", None, "alice"),
        now=timezone.now(),
    )
    response = alice_http.post(
        reverse("clientarea:service_domain_verify", args=[line.service.pk]),
        {"documents": [SimpleUploadedFile("id.pdf", PDF)]},
    )
    assert response.status_code == 409


def test_verify_in_the_api(
    alice: Any, alice_api: Any, bob_api: Any, verified_zone: Any, owner_contact: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    line = order_domain(
        alice,
        name="alice.example",
        action="register",
        contacts={"owner": owner_contact},
        actor=Actor("client", None, "alice"),
        now=timezone.now(),
    )
    url = f"/api/v1/domains/{line.service.pk}/verify/"
    assert bob_api.post(url, {"documents": [SimpleUploadedFile("id.pdf", PDF)]}, format="multipart").status_code == 404
    response = alice_api.post(url, {"documents": [SimpleUploadedFile("id.pdf", PDF)]}, format="multipart")
    assert response.status_code == 200 and response.json()["verification"] == "submitted"
    again = alice_api.post(url, {"documents": [SimpleUploadedFile("id.pdf", PDF)]}, format="multipart")
    assert again.status_code == 409
