"""Domain names: validation, IDNA (2008, UTS #46 mapping) between Unicode and punycode."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import idna
from django.utils.translation import gettext as _

from openbill.core.errors import DomainError

LDH = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
MAX_LABEL = 63
MAX_NAME = 253


def to_unicode(ascii_name: str) -> str:
    try:
        return idna.decode(ascii_name)
    except idna.IDNAError:
        return ascii_name


def _ascii(raw: str) -> str:
    try:
        return idna.encode(raw, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise DomainError(
            _("%(name)s is not a valid domain name (%(reason)s).") % {"name": raw, "reason": exc}
        ) from None


def zone_ascii(raw: str) -> str:
    return _ascii(raw.strip().strip(".").lower())


@dataclass(frozen=True)
class Name:
    ascii: str
    unicode: str
    zone: Any  # models.Zone


def parse(raw: str, zones: Iterable[Any], *, default_zone: Any = None) -> Name:
    """One name as the client typed it → its ASCII and Unicode forms and the zone it belongs
    to. Refuses, with the reason, names that are too long, have bad characters, are not one
    label under a zone on sale, or use characters the zone does not allow."""
    text = raw.strip().rstrip(".")
    if not text:
        raise DomainError(_("Type a domain name."))
    if text.startswith("."):
        raise DomainError(_("%(name)s: a label is empty.") % {"name": raw})
    by_name = {z.name: z for z in zones}
    for label in text.split("."):
        if not label:
            raise DomainError(_("%(name)s: a label is empty.") % {"name": raw})
    if "." not in text and default_zone is not None:
        text = f"{text}.{to_unicode(default_zone.name)}"
    for label in re.split(r"[.\u3002\uff0e\uff61]", text):
        if len(label) > MAX_LABEL:
            raise DomainError(_("%(name)s: a label is longer than 63 characters.") % {"name": raw})
    if len(text) > MAX_NAME:
        raise DomainError(_("%(name)s is longer than 253 characters.") % {"name": raw})
    ascii_name = _ascii(text)
    labels = ascii_name.split(".")
    if len(ascii_name) > MAX_NAME:
        raise DomainError(_("%(name)s is longer than 253 characters.") % {"name": raw})
    for label in labels:
        if len(label) > MAX_LABEL:
            raise DomainError(_("%(name)s: a label is longer than 63 characters.") % {"name": raw})
        if not LDH.match(label):
            raise DomainError(_("%(name)s: labels use letters, digits and hyphens, not at either end.") % {"name": raw})
    zone = None
    for i in range(1, len(labels)):
        candidate = ".".join(labels[i:])
        if candidate in by_name:
            zone = by_name[candidate]
            if i != 1:
                raise DomainError(
                    _("%(name)s: register the name directly under .%(zone)s.")
                    % {"name": raw, "zone": to_unicode(candidate)}
                )
            break
    if zone is None:
        raise DomainError(_("%(name)s: we do not sell names in this zone.") % {"name": raw})
    if zone.charset == "latin" and labels[0].startswith("xn--"):
        raise DomainError(
            _("%(name)s: .%(zone)s accepts only Latin letters, digits and hyphens.")
            % {"name": raw, "zone": to_unicode(zone.name)}
        )
    return Name(ascii=ascii_name, unicode=to_unicode(ascii_name), zone=zone)


def split_names(text: str) -> list[str]:
    """What the client typed: names separated by spaces, commas or new lines."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def host_ascii(raw: str) -> str:
    """A host name (a name server) in ASCII, checked: at least two labels, each 1–63 letters,
    digits and hyphens (not at either end), 253 characters at most."""
    text = raw.strip().rstrip(".")
    ascii_name = _ascii(text) if text else ""
    labels = ascii_name.split(".")
    if (
        len(labels) < 2
        or len(ascii_name) > MAX_NAME
        or not all(LDH.match(label) and len(label) <= MAX_LABEL for label in labels)
    ):
        raise DomainError(_("%(ns)s is not a valid host name.") % {"ns": raw}, field="ns")
    return ascii_name
