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


def status_badge(service: Service, status_url: Any = None) -> SafeString:
    """A service's status badge; while an operation runs, it asks htmx to fetch it again every
    3 s (``status_url``: the status fragment's URL by id, reversed once by a list) and announces
    the change (role=status)."""
    pk, code = service.pk, escape(service.label_code)
    badge, label = STATUS_BADGES.get(code, "text-bg-secondary"), escape(service.label)
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

    def __call__(self, services: list[Service]) -> list[dict[str, Any]]:
        return [{"service": service, "html": self.row(service)} for service in services]

    def row(self, service: Service) -> SafeString:
        pk = service.pk
        expiration = escape(selectors.expiration_text(service, self.now))
        cost = escape(selectors.renew_cost_text(service))
        return mark_safe(
            f'\n    <tr data-service-id="{pk}">\n'
            f"      <td>{pk}</td>\n"
            f'      <td><a href="{escape(self.actions.detail(pk))}">{escape(service.name)}</a>'
            f'<div class="small text-body-secondary">{escape(service.product_type.name)}</div></td>\n'
            f'      <td class="d-none d-md-table-cell">{escape(service.tariff.name)}</td>\n'
            '      <td class="text-nowrap"><span class="d-inline-flex align-items-center gap-2">'
            f"{status_badge(service, self.status_url)}{auto_renew_icon(service, self.auto_renew)}</span></td>\n"
            f'      <td class="text-nowrap">{expiration}</td>\n'
            f'      <td class="text-nowrap">{cost}</td>\n'
            '      <td><div class="d-flex flex-wrap justify-content-end gap-1">'
            f"{actions_html(self.actions(service))}</div></td>\n"
            "    </tr>\n  "
        )
