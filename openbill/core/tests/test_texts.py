"""Texts stored as facts: every kind reads in English and Spanish, old sentences are read back,
and the same stored row reads in whichever language its reader has chosen (pages and API)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from openbill.accounts.models import ApiToken
from openbill.billing.models import LedgerEntry
from openbill.core import texts
from openbill.core.actors import Actor
from openbill.core.money import Money, format_money
from openbill.core.tests import factories as f
from openbill.core.texts import LEGACY, Text, format_moment, parse, render
from openbill.services.models import ServiceEvent
from openbill.services.renewal import renew_service

MOMENT = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
LEFT_OVER = re.compile(r"%\(|%s|\{|\}|\bNone\b")


class _Names(dict[str, Any]):
    """Records the placeholders a template asks for (a plural's number gets 2)."""

    def __missing__(self, key: str) -> Any:
        self[key] = 2
        return 2


def _placeholders(template: texts.Template) -> list[str]:
    names = _Names()
    with translation.override("en"):
        str(template.message % names)
    return list(names)


def _sample(template: texts.Template, name: str) -> Any:
    if name in template.money:
        return Money(Decimal("1234.5"), "USD")
    if name in template.dates or name in template.months:
        return date(2026, 3, 5)
    if name in template.datetimes:
        return MOMENT
    if name in template.choices:
        return template.choices[name].values[0]
    if name in template.labels:
        return "card"
    if name in template.lists:
        return ["ns1.example.net", "ns2.example.net"]
    if name in template.texts:
        return [Text("auto_renew_on"), Text("renewal_period", period="year")]
    if name in ("text", "description", "evidence", "reason", "subject"):
        return "words someone wrote"
    return 2


def _words(text: str) -> str:
    """The template's own words, without its placeholders."""
    return re.sub(r"%\(\w+\)s|[^A-Za-z]", "", text)


@pytest.mark.parametrize("kind", sorted(texts.registry()))
def test_every_kind_reads_in_english_and_in_spanish_with_no_placeholder_left(kind: str) -> None:
    template = texts.registry()[kind]
    text = Text(kind, **{name: _sample(template, name) for name in _placeholders(template)})

    english, spanish = text.render("en"), text.render("es")

    for rendered in (english, spanish):
        assert rendered.strip(), kind
        assert not LEFT_OVER.search(rendered), (kind, rendered)
    if template.money:
        assert "1234.50 USD" in english and "1234,50 USD" in spanish
    if template.dates or template.datetimes:
        assert "2026" in english and "2026-03" not in english and "2026-03" not in spanish
        assert "Mar" in english and "mar" in spanish
    if template.choices:
        name, choices = next(iter(template.choices.items()))
        with translation.override("es"):
            label = str(dict(choices.choices)[choices.values[0]])
        assert label.lower() in spanish.lower(), (kind, spanish)
    with translation.override("en"):
        own_words = _words(str(template.message % _Names()))
    if own_words:
        assert spanish != english, f"{kind} is not translated: {spanish}"


def test_a_stored_text_keeps_money_dates_and_codes_as_data_not_words() -> None:
    text = Text("renewed", start=MOMENT, end=MOMENT + timedelta(days=31), amount=Money(Decimal("5.005"), "USD"))

    params = text.stored(ZoneInfo("Europe/Madrid"))

    assert params == {
        "start": "2026-03-05T15:30:00+01:00",
        "end": "2026-04-05T16:30:00+02:00",
        "amount": {"amount": "5.01", "currency": "USD"},
    }
    # The provider's wall clock, in each reader's format.
    # (CLDR puts a narrow no-break space before "PM".)
    assert render("renewed", params, "en") == "Mar 5, 2026, 3:30\u202fPM → Apr 5, 2026, 4:30\u202fPM (5.01 USD)"
    assert render("renewed", params, "es") == "5 mar 2026, 15:30 → 5 abr 2026, 16:30 (5,01 USD)"


def test_an_unknown_kind_cannot_be_stored() -> None:
    with pytest.raises(KeyError):
        Text("no such kind")
    with pytest.raises(TypeError):
        texts.stored("a finished sentence")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sentence", "kind", "params"),
    [
        ("web1: first period (Year)", "first_period", {"name": "web1", "period": "year"}),
        ("web1: primer periodo (Año)", "first_period", {"name": "web1", "period": "year"}),
        ("web1: renewal until 2026-12-16", "renewal", {"name": "web1", "date": "2026-12-16"}),
        ("Payment #5 (Card (test gateway))", "payment", {"id": "5", "method": "card"}),
        ("Pago n.º 5 (Transferencia bancaria)", "payment", {"id": "5", "method": "bank"}),
        ("Correction: bank fee", "correction", {"reason": "bank fee"}),
        ("reconfiguration", "operation", {"operation": "reconfiguration"}),
        ("client", "suspend_reason", {"reason": "client"}),
        ("5.0100 USD", "amount", {"amount": {"amount": "5.0100", "currency": "USD"}}),
        ("2026-12-16T00:00:00+00:00", "moment", {"at": "2026-12-16T00:00:00+00:00"}),
        ("order #4", "paid_by_order", {"order": "4"}),
        ("Anything else at all", LEGACY, {"text": "Anything else at all"}),
    ],
)
def test_sentences_stored_before_kinds_are_read_back(sentence: str, kind: str, params: dict[str, Any]) -> None:
    assert parse(sentence) == (kind, params)


def test_a_legacy_sentence_reads_as_it_was_written_in_every_language() -> None:
    kind, params = parse("añadidos a mano")

    assert render(kind, params, "en") == render(kind, params, "es") == "añadidos a mano"


def test_money_is_formatted_once_per_language() -> None:
    assert format_money(Decimal("12"), "USD", "en") == "12.00 USD"
    assert format_money(Decimal("12"), "USD", "es") == "12,00 USD"
    assert format_money(Decimal("500"), "USD", "es") == "500 USD"
    assert format_money(Decimal("-0.005"), "USD", "en") == "-0.01 USD"
    assert format_money(Decimal("1000"), "JPY", "es") == "1000 JPY"


def _api(user: Any) -> APIClient:
    _, raw = ApiToken.issue(user, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.mark.django_db
def test_the_same_ledger_and_history_rows_read_in_the_language_the_reader_switches_to(
    alice: Any, alice_user: Any, vps_plan: Any
) -> None:
    expires = datetime(2026, 3, 1, tzinfo=UTC)
    service = f.service(alice, vps_plan, name="web1", period="month", expires_at=expires)
    renew_service(service, actor=Actor.of_user(alice_user), now=expires - timedelta(days=2))
    entry = LedgerEntry.objects.get(client=alice, service=service)
    event = ServiceEvent.objects.get(service=service, kind="renewed")
    assert (entry.description_kind, entry.description_params) == ("renewal", {"name": "web1", "date": "2026-04-01"})
    alice.refresh_from_db()
    assert alice.balance_amount == Decimal("90.00") and entry.amount == Decimal("-10.00")
    http = HttpClient()
    http.force_login(alice_user)
    api = _api(alice_user)

    pages: dict[str, tuple[str, str]] = {}
    for language in ("en", "es"):
        http.post(reverse("clientarea:set_language"), {"language": language, "next": "/"})
        finances = http.get(reverse("clientarea:finances")).content.decode()
        history = http.get(reverse("clientarea:service_history", args=[service.pk])).content.decode()
        pages[language] = (finances, history)
    ledger_en, ledger_es = (
        next(
            row
            for row in api.get("/api/v1/ledger/", HTTP_ACCEPT_LANGUAGE=language).json()["results"]
            if row["id"] == entry.pk
        )
        for language in ("en", "es")
    )
    history_es = api.get(f"/api/v1/services/{service.pk}/history/", HTTP_ACCEPT_LANGUAGE="es").json()
    renewed_es = next(row for row in history_es["results"] if row["kind"] == "renewed")

    assert "web1: renewal until Apr 1, 2026" in pages["en"][0]
    assert "web1: renovación hasta el 1 abr 2026" in pages["es"][0]
    assert "renewal until" not in pages["es"][0]
    start, end = expires, datetime(2026, 4, 1, tzinfo=UTC)
    assert f"{format_moment(start, 'en')} → {format_moment(end, 'en')} (10.00 USD)" in pages["en"][1]
    assert f"{format_moment(start, 'es')} → {format_moment(end, 'es')} (10,00 USD)" in pages["es"][1]
    assert ">Renovado<" in pages["es"][1] and ">Renewed<" in pages["en"][1]
    assert ledger_en["description"] == "web1: renewal until Apr 1, 2026"
    assert ledger_es["description"] == "web1: renovación hasta el 1 abr 2026"
    assert (ledger_es["description_kind"], ledger_es["description_params"]) == (
        "renewal",
        {"name": "web1", "date": "2026-04-01"},
    )
    assert renewed_es["kind_label"] == "Renovado"
    assert renewed_es["note"] == f"{format_moment(start, 'es')} → {format_moment(end, 'es')} (10,00 USD)"
    assert renewed_es["note_kind"] == "renewed" and renewed_es["note_params"] == event.note_params
