"""The API's request parsers (DRF's ``DEFAULT_PARSER_CLASSES``): hostile bodies are a 400, never a 500.

- A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused before it is read (413, see
  ``openbill.api.middleware``); the JSON parser also stops reading at that size.
- JSON nested deeper than ``MAX_DEPTH`` arrays/objects is refused (400 ``parse_error``): whatever
  a view, a serializer or the idempotency store does with the data stays far from Python's
  recursion limit (deeper bodies made the decoder raise ``RecursionError``, a 500).
- A string (value or key) holding a NUL or an unpaired UTF-16 surrogate (``"\\ud800"``) is refused
  (400, keyed by the top-level field): neither can be stored in PostgreSQL text nor encoded as
  UTF-8, so no field could ever accept it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from .errors import RequestTooLarge

MAX_DEPTH = 32  # nesting of JSON arrays and objects; the deepest real body (usage records) is 3


def _too_deep(data: Any) -> bool:
    """Whether ``data`` nests lists/dicts deeper than ``MAX_DEPTH`` (walked without recursion)."""
    # Decoded JSON holds plain dicts and lists only: ``type(…) is`` tests them at a third of the
    # cost of isinstance, which a batch of thousands of objects notices.
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                if depth >= MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


# A NUL, or a \\u escape of a surrogate (paired ones too: the walk then tells them apart).
_SUSPECT = re.compile(r"\x00|\\u(?:0000|[dD][89a-fA-F])")


def _is_clean(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate
        return False
    return True


def _bad_strings(value: Any, path: str) -> Iterator[str]:
    """The paths (``parameters.hostname``, ``records.3.id``) of strings that are not clean text."""
    if isinstance(value, str):
        if not _is_clean(value):
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not _is_clean(str(key)):
                yield path or "non_field_errors"
            else:
                yield from _bad_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _bad_strings(item, f"{path}.{index}" if path else str(index))


def refuse_unclean_strings(data: Any) -> None:
    """Raise a 400 naming each top-level field that holds a NUL or an unpaired surrogate."""
    errors: dict[str, list[str]] = {}
    for path in _bad_strings(data, ""):
        field = path.split(".", 1)[0] if path else "non_field_errors"
        errors.setdefault(field, []).append(
            _("%(field)s: contains a NUL character or an unpaired surrogate, which text cannot hold.")
            % {"field": path or _("the body")}
        )
    if errors:
        raise ValidationError(errors)


def _read_limited(stream: IO[bytes]) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise RequestTooLarge(limit)
    return body


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(_read_limited(stream), encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        try:
            data = json.loads(text, parse_constant=self._refuse_constant)
        except RecursionError as exc:
            raise ParseError(self.too_deep()) from exc
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        # Only a body with more brackets than the limit can be too deep: most skip the walk.
        if isinstance(data, dict | list) and text.count("[") + text.count("{") > MAX_DEPTH and _too_deep(data):
            raise ParseError(self.too_deep())
        # Plain substring tests first: far cheaper than the expression over a large body.
        if ("\\u" in text or "\x00" in text) and _SUSPECT.search(text):
            refuse_unclean_strings(data)
        return data

    @staticmethod
    def too_deep() -> str:
        return _("JSON nested deeper than %(depth)d levels is not accepted.") % {"depth": MAX_DEPTH}

    @staticmethod
    def _refuse_constant(name: str) -> Any:
        # NaN and Infinity are not JSON (DRF's strict mode refuses them too).
        raise ValueError(f"{name} is not valid JSON")


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_unclean_strings({key: data.getlist(key) for key in data})
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        refuse_unclean_strings({key: result.data.getlist(key) for key in result.data})
        return result
