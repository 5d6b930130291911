"""The lifecycle actions in the client area: buttons that call the same services actions as
the API, a deletion page that states the policy, certificate downloads, and 404 for another
client's service."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as Browser
from django.utils import timezone

from openbill.core.crypto import encrypt
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning.models import Certificate
from openbill.services.models import Service

from . import factories as pf

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(alice_user: Any) -> Browser:
    web = Browser()
    web.force_login(alice_user)
    return web


@pytest.fixture
def manual(provider: Any, vps_plan: Any) -> Any:
    return pf.module(provider, "manual", vps_plan)


def page(web: Browser, service: Service) -> str:
    return web.get(f"/services/{service.pk}/").content.decode()


def test_reboot_button_shows_in_progress(browser: Browser, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)
    assert "Reboot" in page(browser, service)

    answer = browser.post(f"/services/{service.pk}/reboot/", follow=True)

    assert answer.redirect_chain[-1][0] == f"/services/{service.pk}/"
    text = answer.content.decode()
    assert "Reboot requested." in text and "In progress (reboot)" in text


def test_suspend_and_resume_buttons(browser: Browser, alice: Any, vps_plan: Any, manual: Any) -> None:
    service = f.service(alice, vps_plan, module=manual)
    browser.post(f"/services/{service.pk}/suspend/")
    service.refresh_from_db()
    assert service.suspended_by_client and service.label == "In progress (suspension)"
    assert "Resume" in page(browser, service)


def test_a_refused_action_says_why_and_changes_nothing(
    browser: Browser, alice: Any, vps_plan: Any, manual: Any
) -> None:
    service = f.service(alice, vps_plan, module=manual)
    browser.post(f"/services/{service.pk}/reboot/")

    answer = browser.post(f"/services/{service.pk}/reboot/", follow=True)

    assert "Another operation is in progress: reboot." in answer.content.decode()
    assert service.tasks.count() == 1


def test_delete_page_states_the_period_end_and_schedules(
    browser: Browser, alice: Any, vps_plan: Any, manual: Any
) -> None:
    vps_plan.product_type.deletion_when = "period_end"
    vps_plan.product_type.save()
    expires = timezone.now() + timedelta(days=12)
    service = f.service(alice, vps_plan, module=manual, expires_at=expires)

    terms = browser.get(f"/services/{service.pk}/delete/").content.decode()
    assert f"is deleted on {expires:%Y-%m-%d}" in terms

    answer = browser.post(f"/services/{service.pk}/delete/", follow=True)
    text = answer.content.decode()
    assert f"Scheduled for deletion on {expires:%Y-%m-%d}" in text and "Keep the service" in text
    assert Service.objects.get(pk=service.pk).delete_at == expires


def test_delete_page_states_the_refund(browser: Browser, alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.refund_unused = True
    vps_plan.product_type.save()
    service = f.service(alice, vps_plan, module=manual)
    from openbill.billing.actions import charge_service

    now = timezone.now()
    charge_service(
        service,
        kind="period",
        key="p",
        amount=Decimal("30.00"),
        description=Text.verbatim("p"),
        now=now,
        period_start=now - timedelta(days=10),
        period_end=now + timedelta(days=20),
    )
    text = browser.get(f"/services/{service.pk}/delete/").content.decode()
    assert "returns to your balance" in text and "USD" in text


def test_staff_only_deletion_is_explained(browser: Browser, alice: Any, vps_plan: Any, manual: Any) -> None:
    vps_plan.product_type.deletion_who = "staff"
    vps_plan.product_type.save()
    service = f.service(alice, vps_plan, module=manual)
    assert "can be deleted only by the provider" in browser.get(f"/services/{service.pk}/delete/").content.decode()
    browser.post(f"/services/{service.pk}/delete/")
    assert Service.objects.get(pk=service.pk).operation == ""


def test_certificate_downloads(browser: Browser, alice: Any, provider: Any) -> None:
    plan = f.tariff(f.product_type(provider, "ssl"), "SSL")
    service = f.service(alice, plan)
    Certificate.objects.create(
        service=service,
        domain="shop.alice.test",
        serial="ab",
        certificate_pem="-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n",
        chain_pem="-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
        private_key_encrypted=encrypt("-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n"),
        not_after=timezone.now() + timedelta(days=90),
        issued_at=timezone.now(),
    )

    leaf = browser.get(f"/services/{service.pk}/certificate/certificate/")
    assert leaf.status_code == 200 and b"LEAF" in leaf.content
    assert leaf["Content-Disposition"] == 'attachment; filename="shop.alice.test-certificate.pem"'
    assert b"CA" in browser.get(f"/services/{service.pk}/certificate/chain/").content
    assert b"PRIVATE KEY" in browser.get(f"/services/{service.pk}/certificate/key/").content
    assert browser.get(f"/services/{service.pk}/certificate/other/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "suspend/"),
        ("post", "resume/"),
        ("post", "reboot/"),
        ("get", "delete/"),
        ("post", "delete/"),
        ("post", "cancel-deletion/"),
        ("get", "certificate/certificate/"),
    ],
)
def test_another_clients_service_is_404(
    method: str, path: str, browser: Browser, bob: Any, vps_plan: Any, manual: Any
) -> None:
    bobs = f.service(bob, vps_plan, module=manual)
    assert getattr(browser, method)(f"/services/{bobs.pk}/{path}").status_code == 404
    bobs.refresh_from_db()
    assert (bobs.operation, bobs.delete_at, bobs.suspend_reasons) == ("", None, frozenset())


def test_a_get_only_asks_for_confirmation_and_changes_nothing(
    browser: Browser, alice: Any, vps_plan: Any, manual: Any
) -> None:
    service = f.service(alice, vps_plan, module=manual)
    for action in ("reboot", "suspend"):
        page = browser.get(f"/services/{service.pk}/{action}/")
        assert page.status_code == 200 and 'method="post"' in page.content.decode()
    assert browser.get(f"/services/{service.pk}/resume/").status_code == 405
    service.refresh_from_db()
    assert (service.operation, service.suspend_reasons) == ("", frozenset())


def test_the_services_list_offers_delete_and_shows_a_scheduled_date(
    browser: Browser, alice: Any, vps_plan: Any, manual: Any
) -> None:
    f.service(alice, vps_plan, module=manual, name="Keep")
    scheduled = f.service(alice, vps_plan, module=manual, name="Going")
    Service.objects.filter(pk=scheduled.pk).update(delete_at=scheduled.expires_at)

    text = browser.get("/services/").content.decode()

    assert f'href="/services/{scheduled.pk - 1}/delete/"' in text
    assert f"Deleted on {scheduled.expires_at:%Y-%m-%d}" in text
