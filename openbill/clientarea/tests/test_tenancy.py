"""alice can never see or act on bob's things: every client-area URL that takes an id answers 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from openbill.accounts.models import ApiToken
from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db

# The client area's own URLs that take an id, and what the id is of. Listed here, not derived.
SERVICE_URLS = ["clientarea:service", "clientarea:service_history", "clientarea:service_status"]
TOKEN_URLS = ["clientarea:token_revoke"]
# URLs whose id names something every client of the provider may see, not a client's own thing.
SHARED_IDS = {"order_new": "a tariff of the provider's public catalog"}


def _get_or_post(http: HttpClient, url: str) -> int:
    """GET, or POST for a POST-only view: whichever the view answers."""
    status = http.get(url).status_code
    return http.post(url).status_code if status == 405 else status


@pytest.mark.parametrize("name", SERVICE_URLS)
def test_alice_gets_404_for_bobs_service(
    name: str, alice: Any, alice_http: HttpClient, bob: Any, vps_plan: Any
) -> None:
    mine = f.service(alice, vps_plan)
    bobs = f.service(bob, vps_plan, operation="reboot")
    assert _get_or_post(alice_http, reverse(name, args=[mine.pk])) == 200
    assert _get_or_post(alice_http, reverse(name, args=[bobs.pk])) == 404


@pytest.mark.parametrize("name", TOKEN_URLS)
def test_alice_gets_404_for_bobs_api_token(name: str, alice_http: HttpClient, bob_user: Any) -> None:
    token, raw = ApiToken.issue(bob_user, "bob's script")
    assert _get_or_post(alice_http, reverse(name, args=[token.pk])) == 404
    assert ApiToken.find(raw) is not None  # still valid: nothing changed


def _id_urls() -> list[tuple[str, list[str]]]:
    """Every client-area URL with an integer in its path (the base's and each feature's)."""
    namespace = get_resolver().namespace_dict["clientarea"][1]
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[URLPattern | URLResolver]) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
                continue
            converters = getattr(entry.pattern, "converters", {})
            ints = [key for key, conv in converters.items() if conv.regex == "[0-9]+"]
            if ints and len(ints) == len(converters) and entry.name:
                found.append((entry.name, ints))

    walk(namespace.url_patterns)
    return found


def test_every_id_url_of_the_client_area_is_404_for_a_client_who_owns_nothing(
    provider: Any, bob: Any, vps_plan: Any, bob_user: Any
) -> None:
    # Given bob owns a service and a token, and carol owns nothing at all,
    bobs_service = f.service(bob, vps_plan, operation="reboot")
    bobs_token, _ = ApiToken.issue(bob_user, "bob's script")
    carol = f.client(provider, "carol@test.test")
    http = HttpClient()
    http.force_login(carol.memberships.get().user)
    urls = _id_urls()
    assert {name for name, _ in urls} >= {n.split(":")[1] for n in SERVICE_URLS + TOKEN_URLS}
    # then every URL with an id — including the ones features add later — answers 404 for bob's ids.
    for pk in {bobs_service.pk, bobs_token.pk}:
        for name, keys in urls:
            if name in SHARED_IDS:
                continue
            url = reverse(f"clientarea:{name}", kwargs=dict.fromkeys(keys, pk))
            assert _get_or_post(http, url) == 404, url
