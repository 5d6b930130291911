"""A page's services and add-on lines are freed when the page is written, not left in reference
cycles for Python's cyclic collector (whose pauses landed on one request in ten): the dashboard,
Goods/Services and the API's services list (core.templates, services.api.views)."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as HttpClient
from django.test import RequestFactory

from openbill.core.tests import factories as f
from openbill.services.models import Service, ServiceAddon

pytestmark = pytest.mark.django_db


def get(http: HttpClient, path: str) -> int:
    """``path`` through the WSGI handler as a server calls it, with ``http``'s session cookie (the
    test client keeps each response's template context, itself in a cycle)."""
    environ = RequestFactory()._base_environ(  # type: ignore[attr-defined]
        PATH_INFO=path, HTTP_COOKIE=http.cookies.output(header="", sep=";").strip()
    )
    status: list[str] = []
    # As the test client does: the test's transaction keeps its connection between requests.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda line, headers, *rest: status.append(line))  # type: ignore[arg-type]
        try:
            b"".join(response)
        finally:
            response.close()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    return int(status[0].split()[0])


def cyclic_rows(http: HttpClient, path: str) -> list[str]:
    """The services and add-on lines that only the cyclic collector would free after ``path``."""
    assert get(http, path) == 200  # anything loaded once per process, loaded
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert get(http, path) == 200
        gc.collect()
        return [type(o).__name__ for o in gc.garbage if isinstance(o, (Service, ServiceAddon))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


@pytest.mark.parametrize("path", ["/", "/services/", "/api/v1/services/"])
def test_a_pages_services_are_not_left_in_cycles(alice: Any, alice_user: Any, vps_plan: Any, path: str) -> None:
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00"})
    for number in range(3):
        f.service(alice, vps_plan, name=f"box-{number}", addons={ram: "2"})
    http = HttpClient()
    http.force_login(alice_user)
    assert cyclic_rows(http, path) == []
