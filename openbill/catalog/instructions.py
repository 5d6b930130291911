"""Instruction manuals, rendered sandboxed.

A product type's instruction template is written by staff, so it is treated as untrusted: it
renders in its own template engine with no loaders (no ``{% include %}``/``{% extends %}`` of
files), no tag libraries to ``{% load %}``, and only a whitelisted set of harmless built-in
tags and filters (no ``{% debug %}``, ``{% url %}``, ``{% csrf_token %}``…). Its context holds
plain strings only — copies of the service's own details in read-only mappings — never model
objects, so nothing can reach the database, settings or other clients through it.

Available: ``service`` (id, name, tariff, product, status, period, expires_on, activated_on,
address, login, licence_key), ``params`` (the service's parameters), ``addons`` (resource →
value), ``client`` (name, email), ``provider`` (name, support_email). Output is autoescaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.utils.translation import gettext as _

SAFE_TAGS = ("if", "for", "with", "firstof", "cycle", "comment", "spaceless", "verbatim", "filter", "ifchanged")
SAFE_FILTERS = (
    "default",
    "default_if_none",
    "upper",
    "lower",
    "title",
    "capfirst",
    "length",
    "join",
    "first",
    "last",
    "linebreaksbr",
    "linebreaks",
    "truncatechars",
    "truncatewords",
    "yesno",
    "cut",
    "center",
    "ljust",
    "rjust",
    "wordwrap",
    "pluralize",
    "escape",
    "striptags",
    "urlize",
)

# The engine's only built-in library: ``Engine`` imports ``register`` from this module.
register = Library()
for _name in SAFE_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in SAFE_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]

_engine: Engine | None = None


def engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = Engine(
            dirs=[],
            app_dirs=False,
            loaders=[],
            libraries={},
            builtins=[__name__],
            autoescape=True,
            debug=False,
            string_if_invalid="",
        )
        # Engine() adds Django's default builtins before ours; keep only the whitelist.
        _engine.template_builtins = [register]
    return _engine


def _plain(value: Any) -> Any:
    """Strings, numbers and read-only mappings/tuples of them — nothing with behaviour."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _plain(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def instruction_context(service: Any) -> dict[str, Any]:
    """The whitelisted values of one service (never model objects)."""
    tz = service.client.provider.tz
    params = dict(service.parameters or {})
    addons = {}
    for line in service.addons.all():
        addons[line.addon.resource] = line.enum_item.name if line.enum_item else f"{line.quantity.normalize():f}"
    return {
        "service": {
            "id": service.pk,
            "name": service.name,
            "tariff": service.tariff.name,
            "product": service.product_type.name,
            "status": service.label,
            "period": service.get_period_display(),
            "expires_on": service.expires_at.astimezone(tz).date().isoformat() if service.expires_at else "",
            "activated_on": service.activated_at.astimezone(tz).date().isoformat() if service.activated_at else "",
            "address": params.get("address") or params.get("ip") or params.get("ipv4") or "",
            "login": params.get("login") or params.get("username") or "",
            "licence_key": params.get("licence_key") or params.get("license_key") or "",
            "hostname": params.get("hostname") or "",
            "domain": params.get("domain") or "",
        },
        "params": params,
        "addons": addons,
        "client": {"name": service.client.name, "email": service.client.email},
        "provider": {"name": service.client.provider.name, "support_email": service.client.provider.support_email},
    }


def render_template(source: str, values: Mapping[str, Any]) -> str:
    """Render ``source`` in the sandbox; a broken template gives a message, not an error page."""
    try:
        template = engine().from_string(source)
        return template.render(Context({k: _plain(v) for k, v in values.items()}, autoescape=True))
    except TemplateSyntaxError:
        return _("The instruction manual could not be shown; please contact support.")


def render_instructions(service: Any) -> str:
    """The service's instruction manual as HTML-escaped text ("" when its type has none)."""
    source = service.product_type.instruction_template
    if not source.strip():
        return ""
    return render_template(source, instruction_context(service))
