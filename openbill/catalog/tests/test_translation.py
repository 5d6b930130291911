"""The catalog in the reader's language: staff give each client-facing text a value per
language; pages and the API show the reader's, or the default language's where it is empty."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import translation
from rest_framework.test import APIClient

from openbill.catalog.models import Addon, AddonEnumItem, ProductParameter, ProductType, TariffPlan
from openbill.core import demo
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db


def spanish(user: Any) -> HttpClient:
    user.language = "es"
    user.save(update_fields=["language"])
    http = HttpClient()
    http.force_login(user)
    return http


def test_pages_show_the_readers_language_and_fall_back_to_the_default(alice_user: Any, vps_type: Any) -> None:
    plan = f.tariff(vps_type, "Small server", prices={"month": "10.00"}, description="One core")
    TariffPlan.objects.filter(pk=plan.pk).update(name_es="Servidor pequeño")  # no Spanish description yet

    page = spanish(alice_user).get("/order/").content.decode()
    assert "Servidor pequeño" in page and "Small server" not in page
    assert "One core" in page  # the default language's text where no Spanish one is given

    alice_user.language = "en"
    alice_user.save(update_fields=["language"])
    english = HttpClient()
    english.force_login(alice_user)
    assert "Small server" in english.get("/order/").content.decode()


def test_the_api_answers_in_the_requests_language(alice_user: Any, vps_plan: Any) -> None:
    TariffPlan.objects.filter(pk=vps_plan.pk).update(name_es="VPS uno")
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00"}, name="Memory", unit="GiB")
    Addon.objects.filter(pk=ram.pk).update(name_es="Memoria")
    api = APIClient()
    api.force_authenticate(alice_user)

    es = api.get(f"/api/v1/catalog/tariffs/{vps_plan.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()
    en = api.get(f"/api/v1/catalog/tariffs/{vps_plan.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (es["name"], es["addons"][0]["name"]) == ("VPS uno", "Memoria")
    assert (en["name"], en["addons"][0]["name"]) == ("VPS-1", "Memory")


def test_staff_edit_each_language_in_the_admin(staff: Any, alice_user: Any, vps_type: Any) -> None:
    f.tariff(vps_type, "Small server", prices={"month": "10.00"})
    parameter = f.parameter(vps_type, "hostname", kind="hostname")
    admin = HttpClient()
    admin.force_login(staff)
    url = f"/admin/catalog/productparameter/{parameter.pk}/change/"
    form = admin.get(url).content.decode()
    assert 'name="label_en"' in form and 'name="label_es"' in form

    response = admin.post(
        url,
        {
            "product_type": vps_type.pk,
            "position": 0,
            "code": "hostname",
            "label_en": "Hostname",
            "label_es": "Nombre del servidor",
            "kind": "hostname",
            "required": "on",
            "choices": "[]",
            "regex": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    parameter.refresh_from_db()
    with translation.override("es"):
        assert parameter.label == "Nombre del servidor"
    with translation.override("en"):
        assert parameter.label == "Hostname"


def test_the_demo_catalog_reads_in_english_and_in_spanish() -> None:
    demo.load()
    texts = [
        (ProductType, ("name", "instruction_template")),
        (ProductParameter, ("label",)),
        (TariffPlan, ("name", "description")),
        (Addon, ("name",)),
        (AddonEnumItem, ("name",)),
    ]
    missing = [
        f"{model.__name__} #{row.pk} {field}: {getattr(row, f'{field}_en')!r}"
        for model, fields in texts
        for row in model._default_manager.all()
        for field in fields
        if getattr(row, f"{field}_en") and not getattr(row, f"{field}_es")
    ]
    assert missing == []
    with translation.override("es"):
        assert set(ProductType.objects.values_list("name", flat=True)) >= {"Servidores virtuales", "Hosting virtual"}
        assert TariffPlan.objects.get(name_en="Hosting Basic").name == "Hosting Básico"
    with translation.override("en"):
        assert TariffPlan.objects.get(name_en="Hosting Basic").name == "Hosting Basic"
