"""The Spanish catalog is complete, current and compiled, and a Spanish reader sees Spanish.

Regenerate the catalog after adding strings (then translate the new entries and compile):

    .venv/bin/python -m openbill.cli makemessages -l es --no-obsolete --add-location file \\
        -i var -i openbill/static/vendor -i tests -i "*/tests/*"
    msgfmt --check-format -o openbill/locale/es/LC_MESSAGES/django.mo openbill/locale/es/LC_MESSAGES/django.po
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from openbill.clients.models import Client
from openbill.core.models import Notice
from openbill.core.money import money_value
from openbill.core.notify import render
from openbill.core.tests import factories as f
from openbill.services.choices import Label, Status, SuspendReason
from openbill.services.selectors import expiration_text, renew_cost_text

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "openbill" / "locale"
PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "es" / "LC_MESSAGES" / "django.mo"
# The docstring's command: file-only locations (no line-number churn); never the tests, the vendored
# assets or var/.
MAKEMESSAGES = ["makemessages", "-l", "es", "--no-obsolete", "--add-location", "file"]
MAKEMESSAGES += ["-i", "var", "-i", "openbill/static/vendor", "-i", "tests", "-i", "*/tests/*"]

NOW = datetime(2025, 7, 10, 12, 0, tzinfo=UTC)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sd]|\{\{\s*[\w.]+\s*\}\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def load(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def key(message: Message) -> tuple[str | None, str]:
    return message.context, message.id[0] if isinstance(message.id, tuple) else message.id


def forms(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return tuple(item or "" for item in value)
    return (value or "",)


def compile_mo(po: Path, mo: Path) -> None:
    result = subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], capture_output=True, text=True)
    assert result.returncode == 0, f"msgfmt refuses the catalog: {result.stderr}"


def messages_of(mo: Path) -> dict[Any, str]:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def page_text(response: Any) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def status_badge(html: str, service_id: int) -> str:
    match = re.search(rf'id="service-status-{service_id}".*?<span class="badge[^"]*">(.*?)</span>', html, re.S)
    assert match, f"no status of service {service_id} on the page"
    return match.group(1).strip()


# --- the committed catalog ------------------------------------------------------------------------


def test_every_entry_of_the_spanish_catalog_is_translated_and_none_is_fuzzy() -> None:
    catalog = load(PO)
    untranslated = [key(m)[1] for m in entries(catalog) if not all(s.strip() for s in forms(m.string))]
    fuzzy = [key(m)[1] for m in entries(catalog) if m.fuzzy]

    assert len(entries(catalog)) > 500
    assert untranslated == [], f"{len(untranslated)} entries have no Spanish text: {untranslated}"
    assert fuzzy == [], f"{len(fuzzy)} entries are fuzzy (a guess nobody checked): {fuzzy}"
    assert not catalog.fuzzy, "the catalog's header is marked fuzzy"
    assert catalog.locale_identifier == "es"


def test_plural_entries_have_every_spanish_form() -> None:
    catalog = load(PO)
    plurals = [m for m in entries(catalog) if m.pluralizable]

    assert plurals, "the catalog has no plural entries"
    for message in plurals:
        assert len(forms(message.string)) == catalog.num_plurals, message.id


def test_translations_keep_every_placeholder_and_tag() -> None:
    """A lost %(date)s shows the reader a sentence without its date; a lost tag breaks the page."""
    wrong = []
    for message in entries(load(PO)):
        for source, translated in zip(forms(message.id), forms(message.string), strict=False):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append((source, translated))
            if sorted(HTML_TAG.findall(source)) != sorted(HTML_TAG.findall(translated)):
                wrong.append((source, translated))
        if message.pluralizable:
            # Every plural form names the same values as the source's plural.
            for translated in forms(message.string):
                if sorted(PLACEHOLDER.findall(message.id[1])) != sorted(PLACEHOLDER.findall(translated)):
                    wrong.append((message.id[1], translated))
    assert wrong == []


# The names xgettext extracts from Python (its own keywords plus those makemessages adds). A call
# under any other name, e.g. ``gettext as _g``, is never extracted: its text stays English.
EXTRACTED = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
EXTRACTED |= {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def test_translation_functions_go_by_names_makemessages_reads() -> None:
    hidden = []
    for path in sorted((ROOT / "openbill").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                hidden += [
                    f"{path.relative_to(ROOT)}: {alias.name} as {alias.asname}"
                    for alias in node.names
                    if alias.name in EXTRACTED and (alias.asname or alias.name) not in EXTRACTED
                ]
    assert hidden == [], "makemessages does not see strings passed to these names"


def test_the_compiled_catalog_is_the_committed_one(tmp_path: Path) -> None:
    """The .mo Django reads holds exactly the messages of the .po (nobody forgot compilemessages)."""
    fresh = tmp_path / "django.mo"
    compile_mo(PO, fresh)

    committed, expected = messages_of(MO), messages_of(fresh)

    assert sorted(set(expected) - set(committed), key=str) == [], "compile the .po: these are missing from the .mo"
    assert sorted(set(committed) - set(expected), key=str) == [], "the .mo holds messages the .po no longer has"
    changed = {k: (committed[k], expected[k]) for k in expected if committed[k] != expected[k]}
    assert changed == {}


@pytest.mark.serial
def test_the_catalog_holds_every_translatable_string_of_the_source(tmp_path: Path) -> None:
    """makemessages over a copy of the source finds no msgid that the committed catalog lacks.

    The copy keeps the check from writing anything into the checkout (makemessages writes temporary
    files beside the templates it reads, and its .po into the first locale folder it finds).
    """
    source = tmp_path / "src"
    shutil.copytree(
        ROOT / "openbill",
        source / "openbill",
        ignore=shutil.ignore_patterns("static", "tests", "__pycache__", "*.mo", "*.pyc"),
    )
    copy_locale = source / "openbill" / "locale"
    settings_lines = ["from openbill.settings import *  # noqa: F403", f"LOCALE_PATHS = [{str(copy_locale)!r}]"]
    (tmp_path / "i18n_check_settings.py").write_text("\n".join(settings_lines) + "\n")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "i18n_check_settings",
        "PYTHONPATH": os.pathsep.join([str(source), str(tmp_path)]),
        "OPENBILL_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "makemessages-check",
    }
    before = PO.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "django", *MAKEMESSAGES],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr

    committed = {key(m) for m in entries(load(PO))}
    current = {key(m) for m in entries(load(copy_locale / "es" / "LC_MESSAGES" / "django.po"))}
    missing = sorted(current - committed, key=str)

    assert PO.read_bytes() == before, "the check must not touch the committed catalog"
    assert len(current) > 500, "makemessages found almost nothing: is it reading the source?"
    assert missing == [], (
        f"{len(missing)} translatable strings are not in the Spanish catalog; run makemessages "
        f"(see this module's docstring), translate them and compile: {missing}"
    )


# --- what a Spanish reader sees -----------------------------------------------------------------


def test_status_labels_and_suspension_reasons_read_in_spanish() -> None:
    with translation.override("es"):
        assert str(Label.ORDERED.label) == "Pedido"
        assert str(Label.ACTIVE.label) == "Activo"
        assert str(Label.IN_PROGRESS.label) == "En curso"
        assert str(Label.SUSPENDED_ADMIN.label) == "Suspendido por el administrador"
        assert str(Label.SUSPENDED_ABUSE.label) == "Suspendido por abuso"
        assert str(Label.CONFIGURATION_REQUIRED.label) == "Configuración requerida"
        assert str(Label.NOT_AVAILABLE.label) == "No disponible"
        assert str(Status.DELETED.label) == "Eliminado"
        assert str(SuspendReason.ABUSE.label) == "Suspendido por abuso"
    with translation.override("en"):
        assert str(Label.ACTIVE.label) == "Active"


@pytest.mark.django_db
def test_a_running_operation_reads_in_spanish(alice: Any, vps_plan: Any) -> None:
    rebooting = f.service(alice, vps_plan, operation="reboot")
    with translation.override("es"):
        assert rebooting.label == "En curso (reinicio)"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_expiry_and_renewal_cost_texts_read_in_spanish(alice: Any, vps_plan: Any) -> None:
    running = f.service(alice, vps_plan, period="day", expires_at=datetime(2025, 8, 7, 9, 0, tzinfo=UTC))
    stopped = f.service(
        alice,
        vps_plan,
        status=Status.SUSPENDED,
        suspended_expired=True,
        expires_at=datetime(2025, 7, 1, tzinfo=UTC),
        suspended_at=datetime(2025, 7, 1, tzinfo=UTC),
    )
    with translation.override("es"):
        assert expiration_text(running, NOW) == "Vence el 2025-08-07"
        assert expiration_text(stopped, NOW) == "Detenido el 2025-07-01"
        assert renew_cost_text(running) == "1,00 USD/día"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_client_who_switches_to_spanish_reads_the_client_area_in_spanish(
    alice: Any, alice_user: Any, vps_plan: Any
) -> None:
    service = f.service(alice, vps_plan, name="Database", period="year", expires_at=datetime(2025, 8, 7, tzinfo=UTC))
    blocked = f.service(alice, vps_plan, name="Blocked", status=Status.SUSPENDED, suspended_by_admin=True)
    http = HttpClient()
    http.force_login(alice_user)

    http.post(reverse("clientarea:set_language"), {"language": "es", "next": "/"})
    dashboard = http.get(reverse("clientarea:dashboard"))
    services = http.get(reverse("clientarea:services")).content.decode()
    detail = page_text(http.get(reverse("clientarea:service", args=[service.pk])))

    assert '<html lang="es"' in dashboard.content.decode()
    for words in ("Panel", "Productos/Servicios", "Servicios activos", "Renovación automática", "Saldo"):
        assert words in page_text(dashboard), words
    assert "Vence el 2025-08-07" in page_text(dashboard)
    assert "500 USD/año" in page_text(dashboard)
    assert "Active Services" not in page_text(dashboard)
    assert status_badge(services, service.pk) == "Activo"
    assert status_badge(services, blocked.pk) == "Suspendido por el administrador"
    assert "Fecha de vencimiento Vence el 2025-08-07" in detail
    assert "Renovación automática Activada" in detail
    assert "Coste de renovación 500 USD/año" in detail

    http.post(reverse("clientarea:set_language"), {"language": "en", "next": "/"})
    assert "Expires 2025-08-07" in page_text(http.get(reverse("clientarea:dashboard")))


CLIENT_PAGES = ["dashboard", "services", "finances", "profile", "password_change", "orders", "order_catalog", "cart"]
CLIENT_PAGES += ["payments", "topup"]
SERVICE_PAGES = ["service", "service_history", "service_edit", "service_extend", "service_delete"]
SERVICE_PAGES += ["service_overage", "service_statistics"]
PUBLIC_PAGES = ["login", "signup", "password_reset"]


@pytest.mark.django_db
def test_no_client_area_page_shows_an_english_sentence_to_a_spanish_reader(provider: Any, alice_user: Any) -> None:
    """Every sentence of the catalog is Spanish on the page: nothing unmarked or translated too early."""
    alice = alice_user.memberships.get().client
    plan = f.tariff(f.product_type(provider, "vds", name="Nube"), "VPS-1", prices={"month": "10.00"})
    ram = f.addon(plan, "ram", unit="GB", prices={"month": "2.50"})
    service = f.service(alice, plan, name="Database", addons={ram: "2"})
    sentences = {
        text for message in entries(load(PO)) if len((text := key(message)[1]).split()) >= 2 and "%" not in text
    }
    http = HttpClient()
    http.force_login(alice_user)
    http.post(reverse("clientarea:set_language"), {"language": "es", "next": "/"})
    pages = [reverse(f"clientarea:{name}") for name in CLIENT_PAGES]
    pages += [reverse(f"clientarea:{name}", args=[service.pk]) for name in SERVICE_PAGES]
    pages += [reverse("clientarea:order_new", args=[plan.pk])]

    english = {}
    for url in pages:
        response = http.get(url)
        assert response.status_code == 200, url
        english[url] = sorted(s for s in sentences if s in page_text(response))
    for name in PUBLIC_PAGES:
        response = HttpClient(HTTP_ACCEPT_LANGUAGE="es").get(reverse(f"clientarea:{name}"))
        assert response.status_code == 200, name
        english[name] = sorted(s for s in sentences if s in page_text(response))

    assert {url: found for url, found in english.items() if found} == {}


@pytest.mark.django_db
def test_a_spanish_client_gets_spanish_email(alice: Any, alice_user: Any) -> None:
    alice_user.language = "es"
    alice_user.save(update_fields=["language"])
    notice = Notice.objects.create(
        key="t-suspended",
        client=alice,
        template="service_suspended",
        context={"service": "Database", "service_id": 7, "reasons": ["admin"]},
        created_at=NOW,
    )
    with translation.override("en"):  # whatever the sender's language, the client's one wins
        subject, body = render(notice)

    assert subject == "Suspendido: Database"
    assert "Su servicio Database (n.º 7) ha sido suspendido." in body
    assert "Lo suspendió el administrador." in body
    assert body.startswith(f"Hola, {alice.name}:")


@pytest.mark.django_db
def test_mail_follows_the_language_the_client_switched_to(alice: Any, alice_user: Any) -> None:
    """One language per user: the switch (or the Profile) sets the pages' and the mail's."""
    http = HttpClient()
    http.force_login(alice_user)
    notice = Notice.objects.create(
        key="t-received",
        client=alice,
        template="payment_received",
        context={"payment_id": 5, "amount": money_value(Decimal("12.5"), "USD"), "method": "-", "balance": "-"},
        created_at=NOW,
    )

    http.post(reverse("clientarea:set_language"), {"language": "es", "next": "/"})
    subject, _body = render(notice)
    assert subject == "Pago recibido: 12,50 USD"
    profile = http.get(reverse("clientarea:profile"))
    assert profile.headers["Content-Language"] == "es" and 'value="es" selected' in profile.content.decode()

    http.post(reverse("clientarea:set_language"), {"language": "en", "next": "/"})
    subject, _body = render(notice)
    assert subject == "Payment received: 12.50 USD"
    assert 'value="en" selected' in http.get(reverse("clientarea:profile")).content.decode()


@pytest.mark.django_db
def test_pages_follow_the_users_language_in_any_browser(alice_user: Any) -> None:
    alice_user.language = "es"
    alice_user.save(update_fields=["language"])
    http = HttpClient()
    http.force_login(alice_user)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # a browser that last showed English
    assert http.get("/").headers["Content-Language"] == "es"


@pytest.mark.django_db
def test_a_client_with_no_user_gets_mail_in_its_providers_language(provider: Any) -> None:
    provider.language = "es"
    provider.save(update_fields=["language"])
    client = Client.objects.create(provider=provider, name="Walk-in", email="walkin@test.test")
    assert client.mail_language == "es"


@pytest.mark.django_db
def test_api_errors_follow_the_accept_language_header() -> None:
    http = HttpClient()
    response = http.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 404
    assert "No encontrado" in response.content.decode()
