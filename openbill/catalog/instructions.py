"""Instruction manuals, rendered sandboxed.

A product type's instruction template is written by staff, so it is treated as untrusted: it
renders in its own template engine with no loaders (no ``{% include %}``/``{% extends %}`` of
files), no tag libraries to ``{% load %}``, and only a whitelisted set of harmless built-in
tags and filters (no ``{% debug %}``, ``{% url %}``, ``{% csrf_token %}``…). Its context holds
plain strings only — copies of the service's own details in read-only mappings — never model
objects, so nothing can reach the database, settings or other clients through it.

Available: ``service`` (id, name, tariff, product, status, period, expires_on, activated_on,
address, login, licence_key, hostname, domain, certificate_until), ``params`` (the service's parameters), ``addons`` (resource →
value), ``client`` (name, email), ``provider`` (name, support_email). Values are autoescaped.

The result is an HTML fragment that is safe by construction, whatever staff typed: the rendered
text goes through an allow-list sanitiser (nh3) that keeps only simple formatting and http(s) or
mailto links, and drops everything else — ``<script>``, ``<iframe>``, ``<img>``, event handlers
(``onerror=``), ``style``, ``javascript:`` URLs. The client area shows it as it is (line breaks
kept), and the API returns the same fragment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import nh3
from django.template import Context, Engine, Library, Node, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import NodeList, Parser, Token, VariableNode
from django.template.defaulttags import IfNode, WithNode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from openbill.core.formats import format_day

MAX_OUTPUT = 100_000  # characters of a rendered manual
MAX_LOOP_ITERATIONS = 10_000  # loop bodies rendered, in all, per manual
MAX_ARGUMENT = 1_000  # the largest length a truncate filter accepts

SAFE_TAGS = ("if", "with", "firstof", "cycle", "comment", "spaceless", "verbatim", "filter", "ifchanged")
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
    "yesno",
    "cut",
    "pluralize",
    "escape",
    "striptags",
    "urlize",
)

# What the sanitiser keeps of a rendered manual: structure and emphasis, and links (http, https,
# mailto) that open without handing the page to the target. No attribute but a link's href/title.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise(html: str) -> SafeString:
    """``html`` with everything outside the allow-list removed (text kept, escaped)."""
    return mark_safe(
        nh3.clean(
            html,
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )


# The engine's only built-in library: ``Engine`` imports ``register`` from this module.
register = Library()
for _name in SAFE_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in SAFE_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]


class TooLarge(Exception):
    """The manual would exceed the loop or output budget."""


def _capped(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return max(0, min(number, MAX_ARGUMENT))


@register.filter(is_safe=True)
def truncatechars(value: Any, arg: Any) -> str:
    return defaultfilters.truncatechars(value, _capped(arg))  # type: ignore[no-any-return]


@register.filter(is_safe=True)
def truncatewords(value: Any, arg: Any) -> str:
    return defaultfilters.truncatewords(value, _capped(arg))  # type: ignore[no-any-return]


class _Budget:
    def __init__(self) -> None:
        self.iterations = 0
        self.output = 0


class _BudgetNode(Node):
    """A ``{% for %}`` that counts: nested loops share one budget of iterations and output."""

    def __init__(self, inner: Node) -> None:
        self.inner = inner

    def render(self, context: Context) -> str:
        state: Any = context.render_context
        budget = state.get("_instruction_budget")
        if budget is None:
            budget = state["_instruction_budget"] = _Budget()
        values = self.inner.sequence.resolve(context, ignore_failures=True)  # type: ignore[attr-defined]
        try:
            count = len(values) if values is not None else 0
        except TypeError:
            count = 0
        budget.iterations += max(count, 1)
        if budget.iterations > MAX_LOOP_ITERATIONS:
            raise TooLarge("loops")
        output = str(self.inner.render(context))
        budget.output += len(output)
        if budget.output > MAX_OUTPUT:
            raise TooLarge("output")
        return output


@register.tag("for")
def do_for(parser: Parser, token: Token) -> Node:
    return _BudgetNode(defaulttags.do_for(parser, token))


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


class _Computed(Mapping[str, Any]):
    """Values computed when first read: ``missing_values`` asks a list row for the few a manual
    shows, not for every formatted date and label."""

    def __init__(self, compute: dict[str, Callable[[], Any]]) -> None:
        self._compute = compute
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = self._compute[key]()
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._compute)

    def __len__(self) -> int:
        return len(self._compute)


def _sections(service: Any, *, shown: bool) -> _Computed:
    """The context's sections, each computed when read; ``shown``: as the manual shows them (a
    choice parameter by its label in the reader's language, a date as text), else as stored (a
    choice's value, a date's moment: which of them are blank is the same)."""
    tz = service.client.provider.tz
    params = dict(service.parameters or {})
    if shown:
        for parameter in service.product_type.parameters.all():
            if parameter.kind == "choice" and parameter.code in params:
                params[parameter.code] = parameter.shown_value(params[parameter.code])

    def addons() -> dict[str, str]:
        return {
            line.addon.resource: line.enum_item.name if line.enum_item else f"{line.quantity.normalize():f}"
            for line in service.addon_lines()
        }

    values = {
        "id": lambda: service.pk,
        "name": lambda: service.name,
        "tariff": lambda: service.tariff.name,
        "product": lambda: service.product_type.name,
        "status": lambda: service.label,
        "period": lambda: service.get_period_display(),
        "expires_on": lambda: _day(service.expires_at, tz, shown),
        "activated_on": lambda: _day(service.activated_at, tz, shown),
        "address": lambda: params.get("address") or params.get("ip") or params.get("ipv4") or "",
        "login": lambda: params.get("login") or params.get("username") or "",
        "licence_key": lambda: params.get("licence_key") or params.get("license_key") or "",
        "hostname": lambda: params.get("hostname") or "",
        "domain": lambda: params.get("domain") or "",
        "certificate_until": lambda: _certificate_until(service, tz),
    }
    client, provider = service.client, service.client.provider
    return _Computed(
        {
            "service": lambda: _Computed(values),
            "params": lambda: params,
            "addons": addons,
            "client": lambda: {"name": client.name, "email": client.email},
            "provider": lambda: {"name": provider.name, "support_email": provider.support_email},
        }
    )


def instruction_context(service: Any) -> dict[str, Any]:
    """The whitelisted values of one service (never model objects)."""
    context = dict(_sections(service, shown=True))
    context["service"] = dict(context["service"])
    return context


def _day(moment: Any, tz: Any, shown: bool) -> Any:
    """A day the manual shows: its text, or (not ``shown``) the moment; "" without one."""
    if not moment:
        return ""
    return format_day(moment, tz=tz) if shown else moment


# The certificate's fields a manual reads (``service.certificate_until``).
CERTIFICATE_FIELDS = ("not_after", "revoked_at")


def shows_certificate(product_type: Any) -> bool:
    """Whether the type's manual (in the active language) shows its services' certificate expiry:
    only then is a service's certificate read for it."""
    return "certificate_until" in product_type.instruction_template


def _certificate_until(service: Any, tz: Any) -> str:
    """The day the service's issued certificate expires ("" without one): asked only by a
    manual that shows it, so other services' pages make no query for it."""
    if not shows_certificate(service.product_type):
        return ""
    certificate = getattr(service, "certificate", None)  # the reverse one-to-one, or None
    if certificate is None or certificate.revoked_at is not None:
        return ""
    return format_day(certificate.not_after, tz=tz)


def render_template(source: str, values: Mapping[str, Any]) -> SafeString:
    """Render ``source`` in the sandbox, then sanitise it; a broken template gives a message, not
    an error page."""
    try:
        template = engine().from_string(source)
        text = template.render(Context({k: _plain(v) for k, v in values.items()}, autoescape=True))
    except (TemplateSyntaxError, TooLarge):
        return sanitise(_("The instruction manual could not be shown; please contact support."))
    if len(text) > MAX_OUTPUT:
        return sanitise(_("The instruction manual could not be shown; please contact support."))
    return sanitise(text)


def render_instructions(service: Any) -> SafeString:
    """The service's instruction manual as a sanitised HTML fragment ("" when its type has none)."""
    source = service.product_type.instruction_template
    if not source.strip():
        return mark_safe("")
    return render_template(source, instruction_context(service))


# --- the values a manual shows ----------------------------------------------------------------

# What each name of the context holds; ``params`` and ``addons`` depend on the product type.
SERVICE_KEYS = frozenset(
    {
        "id", "name", "tariff", "product", "status", "period", "expires_on", "activated_on", "address",
        "login", "licence_key", "hostname", "domain", "certificate_until",
    }
)  # fmt: skip
FIXED_KEYS: dict[str, frozenset[str]] = {
    "service": SERVICE_KEYS,
    "client": frozenset({"name", "email"}),
    "provider": frozenset({"name", "support_email"}),
}
DEFAULT_FILTERS = frozenset({"default", "default_if_none"})


def _shown(nodelist: NodeList) -> Iterator[VariableNode]:
    """The variables a template always shows: outside ``{% if %}`` and loops (those show only
    what they tested or iterate), and without a ``|default``."""
    for node in nodelist:
        if isinstance(node, VariableNode):
            if not any(getattr(f, "__name__", "") in DEFAULT_FILTERS for f, _args in node.filter_expression.filters):
                yield node
        elif isinstance(node, IfNode | WithNode | _BudgetNode):
            continue
        else:
            for attr in node.child_nodelists:
                child = getattr(node, attr, None)
                if child:
                    yield from _shown(child)


@lru_cache(maxsize=256)
def shown_values(source: str) -> tuple[tuple[str, ...], ...]:
    """The dotted names (``("params", "domain")``) that ``source`` shows without a default.
    Raises TemplateSyntaxError for a broken template."""
    template = engine().from_string(source)
    paths = []
    for node in _shown(template.nodelist):
        var = node.filter_expression.var
        lookups = getattr(var, "lookups", None)
        if lookups:
            paths.append(tuple(lookups))
    return tuple(dict.fromkeys(paths))


def template_problems(source: str, *, parameters: set[str] | None, addons: set[str] | None) -> list[str]:
    """Why staff may not save ``source`` as a product type's manual: a syntax error, or a value
    no service of the type has (``parameters``/``addons``: the codes it has; None: unknown yet)."""
    if not source.strip():
        return []
    try:
        paths = shown_values(source)
    except TemplateSyntaxError as exc:
        return [_("The template has an error: %(error)s") % {"error": exc}]
    known: dict[str, frozenset[str] | None] = {
        **FIXED_KEYS,
        "params": frozenset(parameters) if parameters is not None else None,
        "addons": frozenset(addons) if addons is not None else None,
    }
    problems = []
    for path in paths:
        name = ".".join(path)
        root = path[0]
        if root not in known:
            problems.append(_("“%(name)s” is not a value of a service.") % {"name": name})
            continue
        keys = known[root]
        if len(path) < 2 or (keys is not None and path[1] not in keys):
            problems.append(_("“%(name)s” is not a value of this product type's services.") % {"name": name})
    return problems


def missing_values(service: Any, source: str | None = None) -> list[str]:
    """The values the service's manual shows that the service does not have (yet); ``source``:
    the manual's template, when the caller has read it already."""
    if source is None:
        source = service.product_type.instruction_template
    try:
        paths = shown_values(source)
    except TemplateSyntaxError:
        return []  # render_template says the manual cannot be shown
    # Stored values answer the question: a choice's label is blank only when its stored value is,
    # a date's text only when there is no date.
    values: Any = _sections(service, shown=False)
    missing = []
    for path in paths:
        value = values
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(".".join(path))
    return missing
