"""Every error page is in the site's layout and the client's language, with a way back."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_in_the_layout_and_the_clients_language(alice_user: Any) -> None:
    alice_user.language = "es"
    alice_user.save()
    http = HttpClient()
    http.force_login(alice_user)
    http.cookies["django_language"] = "es"

    response = http.get("/services/999999/")

    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="es">' in html
    assert 'id="main-nav"' in html  # the site's navigation
    assert "Página no encontrada" in html
    assert 'href="/"' in html  # a way back to the dashboard


@pytest.mark.parametrize(
    ("view", "status", "spanish"),
    [
        (lambda request: defaults.permission_denied(request, PermissionDenied()), 403, "No permitido"),
        (defaults.server_error, 500, "Algo ha fallado"),
    ],
)
def test_forbidden_and_server_error_pages_are_in_the_layout_and_language(view: Any, status: int, spanish: str) -> None:
    request = RequestFactory().get("/services/")
    with translation.override("es"):
        response = view(request)
    html = response.content.decode()
    assert response.status_code == status
    assert '<html lang="es">' in html
    assert spanish in html
    assert "Volver al panel" in html
