"""The EU's VIES service, through its REST interface (``check-vat-number``).

The URL is ``OPENBILL_VIES_URL`` (tests point it at a local HTTP server). Any failure to get a
clear yes or no — a timeout, a 5xx, a member state's service down (``MS_UNAVAILABLE``) — is
``Unreachable``: the caller keeps the number "not yet verified", never valid by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

DEFAULT_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api"
TIMEOUT_SECONDS = 10


class Unreachable(Exception):
    pass


@dataclass(frozen=True)
class Answer:
    vat_number: str  # with its country prefix, as asked
    valid: bool
    consultation: str  # VIES's request identifier: the proof of the check
    raw: dict[str, Any]


def check(vat_number: str, *, requester: str = "") -> Answer:
    base = settings.OPENBILL_VIES_URL or DEFAULT_URL
    body: dict[str, str] = {"countryCode": vat_number[:2], "vatNumber": vat_number[2:]}
    if len(requester) > 2:
        # With the requester's own number VIES returns a consultation number (the proof).
        body["requesterMemberStateCode"] = requester[:2]
        body["requesterNumber"] = requester[2:]
    try:
        response = requests.post(f"{base.rstrip('/')}/check-vat-number", json=body, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise Unreachable(str(exc)) from exc
    if response.status_code != 200:
        raise Unreachable(f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise Unreachable("not JSON") from exc
    if not isinstance(data, dict) or data.get("errorWrappers") or not isinstance(data.get("valid"), bool):
        raise Unreachable(str(data)[:200])
    keep = {
        k: data[k]
        for k in ("countryCode", "vatNumber", "requestDate", "valid", "requestIdentifier", "name", "address")
        if k in data
    }
    return Answer(vat_number, data["valid"], str(data.get("requestIdentifier") or data.get("requestDate") or ""), keep)
