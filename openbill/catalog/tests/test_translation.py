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
    missing += [
        f"ProductParameter #{row.pk} choice {value!r} in {code}"
        for row in ProductParameter.objects.filter(kind="choice")
        for code in ("en", "es")
        for value in row.choices
        if not (getattr(row, f"choice_labels_{code}") or {}).get(value)
    ]
    assert missing == []
    assert ProductParameter.objects.filter(kind="choice").exists()
    with translation.override("es"):
        assert set(ProductType.objects.values_list("name", flat=True)) >= {"Servidores virtuales", "Hosting virtual"}
        assert TariffPlan.objects.get(name_en="Hosting Basic").name == "Hosting Básico"
    with translation.override("en"):
        assert TariffPlan.objects.get(name_en="Hosting Basic").name == "Hosting Basic"


def _location(vps_type: Any) -> ProductParameter:
    return f.parameter(
        vps_type,
        "location",
        kind="choice",
        required=False,
        choices=["fra", "ams"],
        choice_labels_en={"fra": "Frankfurt", "ams": "Amsterdam"},
        choice_labels_es={"fra": "Fráncfort"},  # no Spanish label for "ams": the English one
    )


def test_a_choice_parameters_values_read_in_the_readers_language(alice: Any, alice_user: Any, vps_plan: Any) -> None:
    _location(vps_plan.product_type)
    service = f.service(alice, vps_plan, name="web1", parameters={"location": "fra"})
    http = spanish(alice_user)

    form = http.get(f"/order/{vps_plan.pk}/").content.decode()
    assert '<option value="fra">Fráncfort</option>' in form
    assert '<option value="ams">Amsterdam</option>' in form and "Frankfurt" not in form
    page = http.get(f"/services/{service.pk}/").content.decode()
    assert "Fráncfort" in page and ">fra<" not in page

    api = APIClient()
    api.force_authenticate(alice_user)
    es = api.get(f"/api/v1/services/{service.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()
    en = api.get(f"/api/v1/services/{service.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (es["parameters"]["location"], es["parameter_labels"]["location"]) == ("fra", "Fráncfort")
    assert en["parameter_labels"]["location"] == "Frankfurt"
    catalog = api.get(f"/api/v1/catalog/product-types/{vps_plan.product_type_id}/", HTTP_ACCEPT_LANGUAGE="es").json()
    (location,) = [p for p in catalog["parameters"] if p["code"] == "location"]
    assert location["choices"] == ["fra", "ams"]
    assert location["choice_labels"] == [{"value": "fra", "label": "Fráncfort"}, {"value": "ams", "label": "Amsterdam"}]


def test_staff_give_choice_labels_per_language_and_a_label_must_name_a_choice(staff: Any, vps_type: Any) -> None:
    parameter = _location(vps_type)
    admin = HttpClient()
    admin.force_login(staff)
    url = f"/admin/catalog/productparameter/{parameter.pk}/change/"
    assert 'name="choice_labels_es"' in admin.get(url).content.decode()
    data = {
        "product_type": vps_type.pk,
        "position": 0,
        "code": "location",
        "label_en": "Data centre",
        "label_es": "Centro de datos",
        "kind": "choice",
        "choices": '["fra", "ams"]',
        "choice_labels_en": '{"fra": "Frankfurt", "ams": "Amsterdam"}',
        "choice_labels_es": '{"fra": "Fráncfort", "lon": "Londres"}',
        "regex": "",
    }
    refused = admin.post(url, data)
    assert refused.status_code == 200 and "Not one of the choices: lon" in refused.content.decode()
    parameter.refresh_from_db()
    assert parameter.choice_labels_es == {"fra": "Fráncfort"}

    assert admin.post(url, {**data, "choice_labels_es": '{"ams": "Ámsterdam"}'}).status_code == 302
    parameter.refresh_from_db()
    with translation.override("es"):
        assert parameter.choice_items() == [("fra", "Frankfurt"), ("ams", "Ámsterdam")]
