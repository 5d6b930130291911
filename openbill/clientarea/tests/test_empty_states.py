"""A new client's empty pages say what will appear there and offer the next step."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from openbill.core.tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_new_clients_services_list_is_not_a_failed_filter_and_offers_an_order(
    alice: Any, alice_http: HttpClient
) -> None:
    html = alice_http.get("/services/").content.decode()

    assert "You have no services yet. The services you order appear here" in html
    assert 'href="/order/"' in html and "Order a service" in html
    assert "No service matches" not in html


def test_a_filter_that_finds_nothing_says_so_and_offers_the_whole_list(
    alice: Any, alice_http: HttpClient, vps_plan: Any
) -> None:
    f.service(alice, vps_plan, name="Web server")

    html = alice_http.get("/services/?name=nothing-like-this").content.decode()

    assert "No service matches this filter." in html
    assert "Show all services" in html
    assert "You have no services yet" not in html


def test_the_dashboard_of_a_new_client_offers_to_order_a_service(alice: Any, alice_http: HttpClient) -> None:
    html = alice_http.get("/").content.decode()

    assert "Once you order a service and it is paid, it appears here" in html
    assert 'href="/order/"' in html
