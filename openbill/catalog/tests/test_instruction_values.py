"""An instruction manual shows only values its services have: staff cannot save a template that
refers to a value no service of the type has (they are told which), and a client is offered the
manual once the service is active and has every value it shows."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import RequestFactory

from openbill.accounts.models import User
from openbill.catalog.models import ProductKind, ProductType
from openbill.core.tests import factories as f
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.rules import Action, allowed_actions

pytestmark = pytest.mark.django_db


def _staff_save(ptype: ProductType, template: str, staff: Any) -> Any:
    """The staff (admin) form of the product type, submitted with a new manual."""
    request = RequestFactory().post("/")
    request.user = staff
    model_admin = admin.site._registry[ProductType]
    form_class = model_admin.get_form(request, ptype)
    data = {
        field: getattr(ptype, field if field != "provider" else "provider_id")
        for field in form_class.base_fields
        if field != "instruction_template_en"
    }
    return form_class({**data, "instruction_template_en": template}, instance=ptype)


def test_staff_cannot_save_a_manual_that_refers_to_a_value_the_services_lack(staff: Any, provider: Any) -> None:
    hosting = f.product_type(provider, kind=ProductKind.VIRTUAL_HOSTING)
    f.parameter(hosting, "domain", kind="domain")

    refused = _staff_save(hosting, "Your hosting for {{ params.domian }} is ready. {{ service.paid_until }}", staff)
    accepted = _staff_save(
        hosting, 'Your hosting for {{ params.domain }} is ready. {{ params.ftp|default:"FTP on request" }}', staff
    )

    assert not refused.is_valid()
    assert refused.errors["instruction_template_en"] == [
        "“params.domian” is not a value of this product type's services.",
        "“service.paid_until” is not a value of this product type's services.",
    ]
    assert accepted.is_valid(), accepted.errors
    broken = _staff_save(hosting, "{% if %}", staff)
    assert not broken.is_valid()
    assert broken.errors["instruction_template_en"][0].startswith("The template has an error")


def test_the_manual_is_offered_once_the_service_is_active_and_has_every_value(
    alice: Any, alice_user: Any, provider: Any
) -> None:
    hosting = f.product_type(
        provider,
        kind=ProductKind.VIRTUAL_HOSTING,
        instruction_template="Your hosting for {{ params.domain }} is ready. Paid until {{ service.expires_on }}.",
    )
    f.parameter(hosting, "domain", kind="domain", required=False)
    plan = f.tariff(hosting)
    ordered = f.service(alice, plan, status=Status.ORDERED, parameters={"domain": "a.test"})
    quick = f.service(alice, plan, status=Status.CONFIGURATION_REQUIRED)
    no_domain = f.service(alice, plan)
    ready = f.service(alice, plan, parameters={"domain": "shop.test"})

    assert [Action.INSTRUCTIONS in allowed_actions(s) for s in (ordered, quick, no_domain, ready)] == [
        False,
        False,
        False,
        True,
    ]
    http = HttpClient()
    http.force_login(alice_user)
    page = http.get(f"/services/{ready.pk}/instructions/").content.decode()
    assert f"Your hosting for shop.test is ready. Paid until {ready.expires_at:%Y-%m-%d}." in page
    # Asked for directly, an incomplete manual is not shown: the service page says why.
    response = http.get(f"/services/{no_domain.pk}/instructions/", follow=True)
    assert response.redirect_chain[-1][0] == f"/services/{no_domain.pk}/"
    assert "available once the service is active" in response.content.decode()


def test_the_ssl_manual_promises_the_downloads_the_service_page_offers() -> None:
    call_command("demo", stdout=StringIO())
    http = HttpClient()
    http.force_login(User.objects.get(email="alice@demo.test"))
    ssl = Service.objects.get(client__email="alice@demo.test", product_type__kind=ProductKind.SSL_CERTIFICATE)

    manual = http.get(f"/services/{ssl.pk}/instructions/").content.decode()
    page = http.get(f"/services/{ssl.pk}/").content.decode()

    assert "Download it, its chain and its private key" in manual
    for part, begins in (
        ("certificate", b"BEGIN CERTIFICATE"),
        ("chain", b"BEGIN CERTIFICATE"),
        ("key", b"PRIVATE KEY"),
    ):
        assert f"/services/{ssl.pk}/certificate/{part}/" in page
        download = http.get(f"/services/{ssl.pk}/certificate/{part}/")
        assert download.status_code == 200 and begins in download.content, part


def test_a_list_offers_the_manual_of_ssl_services_by_their_certificates_in_one_query(
    alice: Any, alice_user: Any, provider: Any
) -> None:
    """A manual showing the certificate's expiry is offered for a service with a live certificate
    only; Goods/Services reads those certificates in one query, whatever their number."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from openbill.core.crypto import encrypt
    from openbill.provisioning.models import Certificate

    ssl_type = f.product_type(provider, kind=ProductKind.SSL_CERTIFICATE)
    ssl_type.instruction_template_en = "Valid until {{ service.certificate_until }}."
    ssl_type.save()
    plan = f.tariff(ssl_type, "SSL", prices={"year": "10.00"})
    now = timezone.now()

    def certified(revoked: bool = False) -> Service:
        service = f.service(alice, plan, period="year")
        Service.objects.filter(pk=service.pk).update(activated_at=now)
        Certificate.objects.create(
            service=service,
            domain=f"s{service.pk}.test",
            serial=str(service.pk),
            certificate_pem="LEAF",
            chain_pem="CA",
            private_key_encrypted=encrypt("KEY"),
            not_after=now + timedelta(days=90),
            issued_at=now,
            revoked_at=now if revoked else None,
        )
        return service

    http = HttpClient()
    http.force_login(alice_user)

    def offered(path: str) -> tuple[set[int], int]:
        http.get(path)
        with CaptureQueriesContext(connection) as queries:
            page = http.get(path).content.decode()
        return {s.pk for s in Service.objects.all() if f"/services/{s.pk}/instructions/" in page}, len(queries)

    first = certified()
    one, queries_one = offered("/services/")
    assert one == {first.pk}
    more = [certified(), certified()]
    revoked = certified(revoked=True)
    without = f.service(alice, plan, period="year")
    Service.objects.filter(pk=without.pk).update(activated_at=now)
    several, queries_several = offered("/services/")
    assert several == {first.pk, *(s.pk for s in more)}
    assert revoked.pk not in several and without.pk not in several
    assert queries_several == queries_one
