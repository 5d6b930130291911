"""Texts stored as facts: a kind and its parameters, rendered in the reader's language.

A ledger line, a History note or an order line is stored as ``(kind, params)`` — e.g.
``("first_period", {"name": "web1", "period": "year"})`` — never as a finished sentence. At
display time ``render`` looks the kind up in the registry, formats each parameter for the
active (or given) language — money with ``format_money``, dates and times with Babel (a
moment and a month through ``core.formats``, as every page shows them), choices
with their translated label — and fills the kind's translatable template.

Each app declares its kinds in ``<app>/texts.py`` with ``register(Template(...), ...)``; the
registry imports every installed app's ``texts`` module the first time it is used.

Writers build a ``Text``: ``Text("setup_fee", name=service.name)``. It renders with ``str()``
(in the active language), and ``stored(tz)`` gives the JSON parameters: money as
``{"amount": "5.01", "currency": "USD"}``, dates as ISO dates, times as ISO timestamps in the
provider's zone (``tz``), so that they show the provider's wall clock in any language.

Two kinds are common to every app: ``text`` (what a person or a remote system wrote, shown as
written: a staff note, a module's error) and ``legacy`` (a sentence stored before this
registry, kept verbatim by the data migrations).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules

from .formats import format_moment as _format_moment
from .formats import format_month
from .money import Money, format_money, round_amount

TEXT = "text"
LEGACY = "legacy"


@dataclass(frozen=True)
class Template:
    """One kind: its template (``%(name)s`` placeholders) and how each parameter is shown.

    ``money``: parameters holding ``Money``; ``dates``/``datetimes``: calendar dates and
    moments; ``months``: a date shown as its month; ``choices``: parameters holding a choice's
    value, shown by its label; ``labels``: a function from the stored value to what is shown (a
    payment method's name; its ``codes()``, if it has one, lists the values for reading old
    sentences back); ``lists``: lists of strings, joined; ``texts``: lists of nested ``Text``,
    each rendered, joined; ``sentence``: the text starts with a capital whatever starts it
    (a label, lower case inside a sentence, that some language puts first). A plural is an ``ngettext_lazy(singular, plural, "count")`` message, chosen by
    the integer parameter named there. Anything else is shown as given (names, numbers, addresses).
    """

    kind: str
    message: Any
    money: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    choices: Mapping[str, type[models.Choices]] = field(default_factory=dict)
    labels: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    sentence: bool = False


_REGISTRY: dict[str, Template] = {}
_loaded = False


def register(*templates: Template) -> None:
    for template in templates:
        if template.kind in _REGISTRY and _REGISTRY[template.kind] != template:
            raise ValueError(f"Text kind {template.kind!r} registered twice")
        _REGISTRY[template.kind] = template


def registry() -> dict[str, Template]:
    global _loaded
    if not _loaded:
        _loaded = True
        autodiscover_modules("texts")
    return _REGISTRY


register(
    Template(TEXT, "%(text)s"),
    Template(LEGACY, "%(text)s"),
    # Values that need no words: a list of names or addresses, an amount, a moment, a date.
    Template("list", "%(items)s", lists=("items",)),
    Template("amount", "%(amount)s", money=("amount",)),
    Template("moment", "%(at)s", datetimes=("at",)),
    Template("date", "%(date)s", dates=("date",)),
    Template("month", "%(month)s", months=("month",)),
    Template("texts", "%(items)s", texts=("items",)),
)


class Text:
    """A fact to be shown: ``Text(kind, **params)``. ``str()`` renders it in the active language."""

    __slots__ = ("kind", "params")

    def __init__(self, kind: str, /, **params: Any) -> None:
        if kind not in registry():
            raise KeyError(f"Unknown text kind {kind!r}: register it in an app's texts.py")
        self.kind = kind
        self.params = params

    @classmethod
    def stored_as(cls, kind: str, params: Mapping[str, Any] | None) -> Text:
        """The Text of a stored pair of fields (e.g. an order line's, for its History note)."""
        return cls(kind, **(params or {}))

    @classmethod
    def verbatim(cls, text: str) -> Text:
        """What a person or a remote system wrote, shown as written in every language."""
        return cls(TEXT, text=text)

    def stored(self, tz: ZoneInfo | None = None) -> dict[str, Any]:
        """The parameters as JSON; moments in ``tz`` (the provider's zone) when given."""
        return {key: _to_json(value, tz) for key, value in self.params.items()}

    def render(self, language: str | None = None) -> str:
        return render(self.kind, self.stored(), language)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.kind!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.kind, self.stored()) == (other.kind, other.stored())

    def __hash__(self) -> int:
        return hash(self.kind)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _to_json(value: Any, tz: ZoneInfo | None) -> Any:
    kind = type(value)
    if kind in _PLAIN:  # exact types first: the common case, and no str-based Choices member
        return value
    if kind is datetime:
        return (value.astimezone(tz) if tz else value).isoformat()
    if isinstance(value, Text):
        return {"kind": value.kind, "params": value.stored(tz)}
    if isinstance(value, Money):
        return {"amount": f"{round_amount(value.amount, value.currency):f}", "currency": value.currency}
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, models.Choices):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_to_json(item, tz) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _to_json(item, tz) for key, item in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def stored(value: Text | None, tz: ZoneInfo | None = None) -> tuple[str, dict[str, Any]]:
    """(kind, params) for a model's pair of fields; ("", {}) for no text."""
    if value is None:
        return "", {}
    if not isinstance(value, Text):
        raise TypeError(f"Store a Text (a kind and its parameters), not {type(value).__name__}")
    return value.kind, value.stored(tz)


def render(kind: str, params: Mapping[str, Any] | None, language: str | None = None) -> str:
    """The text of ``kind`` in ``language`` (default: the active one). Unknown kinds and
    broken parameters never raise: the reader sees the parameters rather than an error page."""
    if not kind:
        return ""
    params = dict(params or {})
    template = registry().get(kind)
    if template is None:
        return ", ".join(str(v) for v in params.values())
    language = language or translation.get_language() or "en"
    with translation.override(language):
        values = {key: _shown(template, key, value, language) for key, value in params.items()}
        try:
            text = str(template.message % values)
            return text[:1].upper() + text[1:] if template.sentence else text
        except (KeyError, TypeError, ValueError):
            return ", ".join(str(v) for v in values.values())


def _shown(template: Template, key: str, value: Any, language: str) -> Any:
    if value is None:
        return ""
    return _formatted(template, key, value, language)


def _formatted(template: Template, key: str, value: Any, language: str) -> Any:
    try:
        if key in template.money:
            return format_money(Decimal(value["amount"]), value["currency"], language)
        if key in template.dates:
            return format_date(date.fromisoformat(value[:10]), "medium", locale=language)
        if key in template.months:
            return format_month(date.fromisoformat(value[:10]), language)
        if key in template.datetimes:
            return format_moment(datetime.fromisoformat(value), language)
        if key in template.choices:
            choices = template.choices[key]
            return str(dict(choices.choices).get(value, value))
        if key in template.labels:
            return str(template.labels[key](value))
        if key in template.lists:
            return ", ".join(str(item) for item in value)
        if key in template.texts:
            return ", ".join(render(item["kind"], item["params"], language) for item in value)
    except (KeyError, TypeError, ValueError):
        return value
    return value


def format_moment(moment: datetime, language: str | None = None) -> str:
    """A stored moment on its own wall clock (the provider's, as stored): "Dec 16, 2026, 3:04 PM",
    "16 dic 2026, 15:04" (core.formats, as every page shows moments)."""
    return _format_moment(moment, language, tz=moment.tzinfo)


_CONTEXT_KIND = "text_kind"


def in_context(value: Text) -> dict[str, Any]:
    """A Text in a stored email context (JSON); ``render_context`` renders it for the mail."""
    return {_CONTEXT_KIND: value.kind, "text_params": value.stored()}


def render_context(value: Any) -> Any:
    """A stored email context with every ``in_context`` Text rendered in the active language."""
    if isinstance(value, dict):
        if _CONTEXT_KIND in value:
            return render(value[_CONTEXT_KIND], value.get("text_params"))
        return {key: render_context(item) for key, item in value.items()}
    if isinstance(value, list):
        return [render_context(item) for item in value]
    return value


def kinds() -> Iterable[Template]:
    return registry().values()


def fields(prefix: str, value: Text | None, tz: ZoneInfo | None = None) -> dict[str, Any]:
    """``<prefix>_kind`` and ``<prefix>_params`` of a model's text, for ``Model(**fields(...))``."""
    kind, params = stored(value, tz)
    return {f"{prefix}_kind": kind, f"{prefix}_params": params}


def text_of(obj: Any, prefix: str) -> Text:
    """The Text stored in ``obj``'s ``<prefix>_kind`` and ``<prefix>_params``."""
    return Text.stored_as(getattr(obj, f"{prefix}_kind"), getattr(obj, f"{prefix}_params"))


def migration_steps(app_label: str, model_name: str, field: str, max_length: int | None = None) -> tuple[Any, Any]:
    """RunPython's (forwards, backwards) for a migration that replaces a sentence column
    ``<field>`` by ``<field>_kind`` and ``<field>_params``: forwards reads each sentence back
    (``parse``: a known kind, or ``legacy``); backwards writes the English words again."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.exclude(**{field: ""}).only("pk", field).iterator(chunk_size=1000):
            kind, params = parse(getattr(row, field))
            model.objects.filter(pk=row.pk).update(**{f"{field}_kind": kind, f"{field}_params": params})

    def backwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        for row in model.objects.exclude(**{f"{field}_kind": ""}).iterator(chunk_size=1000):
            words = render(getattr(row, f"{field}_kind"), getattr(row, f"{field}_params"), "en")
            model.objects.filter(pk=row.pk).update(**{field: words[:max_length] if max_length else words})

    return forwards, backwards


def text_property(prefix: str) -> property:
    """A model property over ``<prefix>_kind`` and ``<prefix>_params``: reading renders in the
    active language; assigning a ``Text`` stores its kind and parameters (zone: UTC; writers
    that know the provider's zone store through ``stored(text, tz)``)."""
    kind_field, params_field = f"{prefix}_kind", f"{prefix}_params"

    def get(self: Any) -> str:
        return render(getattr(self, kind_field), getattr(self, params_field))

    def set_(self: Any, value: Text | None) -> None:
        kind, params = stored(value)
        setattr(self, kind_field, kind)
        setattr(self, params_field, params)

    return property(get, set_)


# --- reading back sentences stored before the registry (data migrations) ---------------------
_NOT_PARSED = frozenset({TEXT, LEGACY, "list", "texts", "settings"})
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_MONEY = re.compile(r"^(-?\d+(?:[.,]\d+)?) ([A-Z]{3})$")


@functools.cache
def _patterns(languages: tuple[str, ...]) -> list[tuple[re.Pattern[str], Template]]:
    found = []
    for template in registry().values():
        if template.kind in _NOT_PARSED or not isinstance(template.message, (str, Promise)):
            continue
        for language in languages:
            with translation.override(language):
                try:
                    shape = str(template.message)
                except TypeError:  # a plural (ngettext_lazy): not read back
                    continue
            parts = _PLACEHOLDER.split(shape)
            pattern = "".join(f"(?P<{part}>.+?)" if i % 2 else re.escape(part) for i, part in enumerate(parts))
            found.append((re.compile(f"^{pattern}$", re.DOTALL), template))
    # The most literal text first: "%(name)s: setup fee" before "%(status)s".
    found.sort(key=lambda item: -len(_PLACEHOLDER.sub("", item[0].pattern)))
    return found


def parse(
    sentence: str, languages: Iterable[str] = ("en", "es"), kinds: Iterable[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """(kind, params) of a sentence written by an earlier version in one of ``languages`` (of
    one of ``kinds``, when given); ``("legacy", {"text": sentence})`` when none fits."""
    if not sentence:
        return "", {}
    languages = tuple(languages)
    wanted = None if kinds is None else frozenset(kinds)
    for pattern, template in _patterns(languages):
        if wanted is not None and template.kind not in wanted:
            continue
        match = pattern.match(sentence)
        if match is None:
            continue
        params = {}
        for key, value in match.groupdict().items():
            parsed = _read_back(template, key, value, languages)
            if parsed is None:
                break
            params[key] = parsed
        else:
            return template.kind, params
    return LEGACY, {"text": sentence}


def _read_back(template: Template, key: str, value: str, languages: Iterable[str]) -> Any:
    """The stored form of a shown value, or None when it is not one (the pattern fails)."""
    if key in template.money:
        money = _MONEY.match(value)
        return {"amount": money[1].replace(",", "."), "currency": money[2]} if money else None
    if key in template.dates or key in template.months:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    if key in template.datetimes:
        if value.endswith(" UTC"):  # "2026-12-06 10:00 UTC", as abuse reports wrote it
            value = value[: -len(" UTC")] + "+00:00"
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            return None
    if key in template.choices:
        choices = template.choices[key]
        if value in choices.values:
            return value
        for language in languages:
            with translation.override(language):
                for code, label in choices.choices:
                    if value in (str(label), str(label)[:1].upper() + str(label)[1:]):
                        return code
        return None
    if key in template.labels:
        shown = template.labels[key]
        for code in getattr(shown, "codes", list)():
            for language in languages:
                with translation.override(language):
                    if value == str(shown(code)):
                        return code
        return None
    if key in template.lists or key in template.texts:
        return None
    return value
