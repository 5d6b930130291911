"""Template helpers of the client area."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString

from openbill.catalog.display import addon_value as value_of
from openbill.clientarea.row_actions import actions_html
from openbill.clientarea.service_rows import auto_renew_icon as renew_icon
from openbill.clientarea.service_rows import status_badge
from openbill.payments.texts import method_label as payment_method_label
from openbill.services.choices import Status
from openbill.services.rules import Action, allows

register = template.Library()


@register.simple_tag
def optional_url(name: str, *args: Any, **kwargs: Any) -> str:
    """The URL of ``name``, or "" when no such URL exists (yet).

    Pages that other features add later (orders, cart, top-up, extend) are linked with
    ``{% optional_url "clientarea:orders" as url %}{% if url %}…{% endif %}`` so that the base
    works before, and without, them.
    """
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


# The pages every client-area page links to from its navigation ("" for one not installed).
NAV_PAGES = {
    "dashboard": "clientarea:dashboard",
    "services": "clientarea:services",
    "orders": "clientarea:orders",
    "cart": "clientarea:cart",
    "domains": "clientarea:domains",
    "finances": "clientarea:finances",
    "support": "clientarea:support",
    "profile": "clientarea:profile",
    "logout": "clientarea:logout",
    "set_language": "clientarea:set_language",
}
_nav: dict[tuple[str, Any], dict[str, str]] = {}


@register.simple_tag
def client_nav() -> dict[str, str]:
    """The navigation's URLs by page (``NAV_PAGES``; "" for a page not installed), reversed once
    per script prefix and URLconf rather than on every page: the URLs do not change while the process runs."""
    key = (get_script_prefix(), get_urlconf())  # what reverse() itself depends on
    urls = _nav.get(key)
    if urls is None:
        urls = _nav[key] = {page: optional_url(name) for page, name in NAV_PAGES.items()}
    return urls


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced ("" removes one): "?a=1&page=2"."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"


@register.simple_tag(takes_context=True)
def sort_query(context: Any, field: str) -> str:
    """The query string that sorts by ``field``, descending when it is already ascending."""
    request = context["request"]
    params = request.GET.copy()
    current = params.get("ordering", "")
    params["ordering"] = f"-{field}" if current == field else field
    params.pop("page", None)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def sort_state(context: Any, field: str) -> str:
    """ "ascending", "descending" or "none" — for aria-sort on a column header."""
    current = context["request"].GET.get("ordering", "")
    if current == field:
        return "ascending"
    if current == f"-{field}":
        return "descending"
    return "none"


@register.filter
def payment_method(code: str) -> str:
    """A payment method as the client reads it ("Bank transfer"), never its code."""
    return payment_method_label(code)


@register.filter
def filter_query(value: Any, name: str = "id") -> str:
    return "?" + urlencode({name: value})


@register.filter
def quantity(value: Any) -> str:
    """A Decimal quantity without trailing zeros and never in exponent form: 10, 1.5."""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number.normalize():f}"


@register.filter
def addon_value(line: Any) -> str:
    """A service's add-on line as the client reads it: "2 GiB", "1 core", "Debian 12"."""
    return value_of(line.addon, line.quantity, line.enum_item)


@register.filter
def bootstrap_widget(field: Any) -> Any:
    """Render a bound field's widget with Bootstrap's classes and its error wired for screen readers."""
    widget = field.field.widget
    css = "form-select" if getattr(widget, "input_type", "") == "select" else "form-control"
    attrs: dict[str, str] = {"class": css}
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.id_for_label}-error"
    return field.as_widget(attrs=attrs)


@register.filter
def status_label(code: str) -> str:
    """A stored status code ("active") as the client reads it ("Active"); unknown codes as they are."""
    try:
        return str(Status(code).label)
    except ValueError:
        return code


@register.simple_tag
def service_status(service: Any) -> SafeString:
    """A service's status badge (``clientarea/services/_status.html``), as the list writes it."""
    return status_badge(service)


@register.simple_tag
def auto_renew_icon(service: Any) -> SafeString:
    """The automatic-renewal icon, with its meaning for screen readers and as a tooltip."""
    return renew_icon(service)


@register.simple_tag
def row_actions(actions: Any) -> SafeString:
    """A Goods/Services row's actions (``openbill.clientarea.row_actions``) as links and badges."""
    return actions_html(actions)


@register.filter
def instructions_offered(service: Any) -> bool:
    """Whether the service's instruction manual is offered (``services.rules``)."""
    return allows(service, Action.INSTRUCTIONS)
