"""VIES against a local HTTP server standing in for the EU's service: valid, invalid,
unreachable (down, or a member state's service unavailable). The proof is kept, and an
unverified number is taxed as a person."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from openbill.invoicing import actions, selectors, vatcheck
from openbill.invoicing.models import VatStatus
from openbill.invoicing.tasks import due_vat_checks

from .helpers import CLIENT, spanish_seller


class FakeVies(BaseHTTPRequestHandler):
    answers: dict[str, Any] = {}
    asked: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeVies.asked.append({"path": self.path, **body})
        answer = FakeVies.answers.get(body["countryCode"] + body["vatNumber"], (500, {}))
        status, payload = answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def vies(settings: Any) -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OPENBILL_VIES_URL = f"http://127.0.0.1:{server.server_address[1]}/rest-api"
    FakeVies.answers, FakeVies.asked = {}, []
    yield FakeVies
    server.shutdown()
    server.server_close()


def _answer(number: str, valid: bool) -> tuple[int, dict[str, Any]]:
    return 200, {
        "countryCode": number[:2], "vatNumber": number[2:], "requestDate": "2026-06-01T10:00:00.000Z",
        "valid": valid, "requestIdentifier": "WAPIAAAAZ1234567", "name": "ALICE GMBH", "address": "BERLIN",
    }  # fmt: skip


def _company(alice: Any) -> Any:
    return actions.save_billing_profile(
        alice,
        {
            "kind": "company",
            "legal_name": "Alice GmbH",
            "address": "Berlin",
            "country": "DE",
            "vat_number": "DE136695976",
        },
        actor=CLIENT,
        now=timezone.now(),
    )


def test_a_valid_number_is_kept_with_its_proof_and_reverse_charged(provider: Any, alice: Any, vies: Any) -> None:
    spanish_seller(provider)
    vies.answers["DE136695976"] = _answer("DE136695976", True)
    profile = _company(alice)
    assert selectors.treatment(alice, on=timezone.now()).rate == Decimal(21)  # not yet verified: as a person
    assert vatcheck.check_vat_number(profile.pk, now=timezone.now()) == "valid"
    profile.refresh_from_db()
    assert profile.vat_status == VatStatus.VALID
    assert profile.vat_consultation == "WAPIAAAAZ1234567" and profile.vat_checked_at is not None
    assert profile.vat_answer["name"] == "ALICE GMBH"
    # The seller's own number went with the question, so that VIES gives a consultation number.
    assert vies.asked[0]["requesterNumber"] == "B12345674" and vies.asked[0]["path"].endswith("/check-vat-number")
    treatment = selectors.treatment(alice, on=timezone.now())
    assert (treatment.scheme, treatment.rate) == ("reverse_charge", Decimal(0))


def test_an_invalid_number_is_taxed_as_a_person(provider: Any, alice: Any, vies: Any) -> None:
    spanish_seller(provider)
    vies.answers["DE136695976"] = _answer("DE136695976", False)
    profile = _company(alice)
    assert vatcheck.check_vat_number(profile.pk, now=timezone.now()) == "invalid"
    assert selectors.treatment(alice, on=timezone.now()).rate == Decimal(21)


@pytest.mark.parametrize(
    "answer",
    [(500, {}), (200, {"actionSucceed": False, "errorWrappers": [{"error": "MS_UNAVAILABLE"}]}), (200, "not json")],
)
def test_unreachable_vies_leaves_the_number_not_yet_verified(provider: Any, alice: Any, vies: Any, answer: Any) -> None:
    spanish_seller(provider)
    vies.answers["DE136695976"] = answer
    profile = _company(alice)
    assert vatcheck.check_vat_number(profile.pk, now=timezone.now()) == "unreachable"
    profile.refresh_from_db()
    assert profile.vat_status == VatStatus.UNVERIFIED and profile.vat_checked_at is None
    assert selectors.treatment(alice, on=timezone.now()).rate == Decimal(21)
    # and it is asked again by the periodic re-check
    assert profile.pk in due_vat_checks(now=timezone.now())


def test_a_service_that_does_not_answer_at_all_is_unreachable(provider: Any, alice: Any, settings: Any) -> None:
    spanish_seller(provider)
    settings.OPENBILL_VIES_URL = "http://127.0.0.1:9/rest-api"  # discard port: connection refused
    profile = _company(alice)
    assert vatcheck.check_vat_number(profile.pk, now=timezone.now()) == "unreachable"


def test_verified_numbers_are_checked_again_after_a_month(provider: Any, alice: Any, vies: Any) -> None:
    spanish_seller(provider)
    vies.answers["DE136695976"] = _answer("DE136695976", True)
    profile = _company(alice)
    checked = timezone.now()
    vatcheck.check_vat_number(profile.pk, now=checked)
    assert profile.pk not in due_vat_checks(now=checked + timedelta(days=29))
    assert profile.pk in due_vat_checks(now=checked + timedelta(days=31))
    # VIES now says no: the buyer is taxed again
    vies.answers["DE136695976"] = _answer("DE136695976", False)
    vatcheck.check_vat_number(profile.pk, now=checked + timedelta(days=31))
    assert selectors.treatment(alice, on=timezone.now()).rate == Decimal(21)
