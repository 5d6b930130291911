"""The Goods/Services list's rows and the service status badge, written in Python.

A list page shows up to 25 rows of seven cells each; through the template language each cell
cost a variable lookup, a localisation and an escape, about half the page's rendering. Here a
row is one f-string whose every value is escaped with ``html.escape`` (what Django's ``escape``
does), and the template writes the rows as they are. The badge and the icon are the same
functions the ``{% service_status %}`` and ``{% auto_renew_icon %}`` tags call (the service's
page and the status fragment htmx polls), so each is written in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from openbill.services import selectors
from openbill.services.models import Service

from .row_actions import RowActions, ServiceUrl, actions_html, escape

# The status badge's colour by the label the client reads (services.models.Service.label_code).
STATUS_BADGES = {
    "active": "text-bg-success",
    "in_progress": "text-bg-info",
    "suspended": "text-bg-warning",
    "suspended_admin": "text-bg-warning",
    "suspended_abuse": "text-bg-warning",
    "not_available": "text-bg-danger",
}


def status_badge(service: Service, status_url: Any = None, words: tuple[str, str] | None = None) -> SafeString:
    """A service's status badge; while an operation runs, it asks htmx to fetch it again every
    3 s (``status_url``: the status fragment's URL by id, reversed once by a list) and announces
    the change (role=status). ``words``: the service's ``label_code`` and ``label``, escaped, when
    a list knows them already (``status_words``)."""
    pk = service.pk
    code, label = words or status_words(service)
    badge = STATUS_BADGES.get(code, "text-bg-secondary")
    if service.operation:
        url = escape((status_url or ServiceUrl("clientarea:service_status"))(pk))
        return mark_safe(
            f'<span id="service-status-{pk}" class="d-inline-flex align-items-center gap-2" role="status" '
            f'aria-live="polite" hx-get="{url}" hx-trigger="every 3s" hx-swap="outerHTML" data-status="{code}">'
            f'<span class="badge {badge}">{label}</span> '
            '<span class="spinner-border spinner-border-sm text-info" aria-hidden="true"></span></span>'
        )
    return mark_safe(
        f'<span id="service-status-{pk}" class="d-inline-flex align-items-center gap-2" data-status="{code}">'
        f'<span class="badge {badge}">{label}</span></span>'
    )


def status_words(service: Service) -> tuple[str, str]:
    """The badge's code and wording, escaped."""
    return escape(service.label_code), escape(service.label)


def auto_renew_icon(service: Service, texts: tuple[str, str] | None = None) -> SafeString:
    """The automatic-renewal icon, with its meaning for screen readers and as a tooltip
    (``texts``: the "on" and "off" wording, translated once by a list)."""
    on, off = texts or auto_renew_texts()
    if service.auto_renew:
        return mark_safe(f'<i class="bi bi-arrow-repeat text-success" role="img" aria-label="{on}" title="{on}"></i>')
    return mark_safe(f'<i class="bi bi-dash-circle text-secondary" role="img" aria-label="{off}" title="{off}"></i>')


def auto_renew_texts() -> tuple[str, str]:
    return escape(_("Automatic renewal on")), escape(_("Automatic renewal off"))


class ServiceRows:
    """Build once per request (URL prefixes and words in the active language), call with a
    priced page of services (``services.selectors.priced``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.actions = RowActions()
        self.status_url = ServiceUrl("clientarea:service_status")
        self.auto_renew = auto_renew_texts()
        # A page's rows share a few tariffs, product types, states and configurations: each
        # name, status wording and price is worked out once per page (all in this request's
        # language, from the catalog this request priced the rows with).
        self.names: dict[tuple[str, int], str] = {}
        self.words: dict[tuple[str, str, frozenset[str]], tuple[str, str]] = {}
        self.costs = selectors.RenewCosts()

    def __call__(self, services: list[Service]) -> list[dict[str, Any]]:
        selectors.keep_certificates(services)  # whether a row offers its manual may depend on one
        return [{"service": service, "html": self.row(service)} for service in services]

    def row(self, service: Service) -> SafeString:
        pk = service.pk
        expiration = escape(selectors.expiration_text(service, self.now))
        return mark_safe(
            f'\n    <tr data-service-id="{pk}">\n'
            f"      <td>{pk}</td>\n"
            f'      <td><a href="{escape(self.actions.detail(pk))}">{escape(service.name)}</a>'
            f'<div class="small text-body-secondary">{self.name("type", service.product_type)}</div></td>\n'
            f'      <td class="d-none d-md-table-cell">{self.name("tariff", service.tariff)}</td>\n'
            '      <td class="text-nowrap"><span class="d-inline-flex align-items-center gap-2">'
            f"{status_badge(service, self.status_url, self.status(service))}"
            f"{auto_renew_icon(service, self.auto_renew)}</span></td>\n"
            f'      <td class="text-nowrap">{expiration}</td>\n'
            f'      <td class="text-nowrap">{self.cost(service)}</td>\n'
            '      <td><div class="d-flex flex-wrap justify-content-end gap-1">'
            f"{actions_html(self.actions(service), self.actions.menu)}</div></td>\n"
            "    </tr>\n  "
        )

    def name(self, kind: str, obj: Any) -> str:
        """A product type's or tariff's name in the reader's language, escaped."""
        key = (kind, obj.pk)
        if (text := self.names.get(key)) is None:
            text = self.names[key] = escape(obj.name)
        return text

    def status(self, service: Service) -> tuple[str, str]:
        """``status_words``: they follow the status, the running operation and the suspension's
        reasons alone."""
        key = (service.status, service.operation, service.suspend_reasons)
        if (words := self.words.get(key)) is None:
            words = self.words[key] = status_words(service)
        return words

    def cost(self, service: Service) -> str:
        """``renew_cost_text``, escaped (``selectors.RenewCosts``: once per configuration)."""
        return escape(self.costs(service)[1])
