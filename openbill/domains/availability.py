"""Is a name free? From the zone's registrar (EPP ``<check>``), else RDAP or WHOIS, each with
the zone's timeout. A source that cannot answer gives ``available=None`` and the reason."""

from __future__ import annotations

import socket
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _

from openbill.provisioning.modules import ModuleError, get_module

from .models import Availability
from .names import Name


@dataclass(frozen=True)
class Answer:
    name: Name
    available: bool | None
    reason: str = ""


def check(names: list[Name]) -> list[Answer]:
    by_zone: dict[int, list[Name]] = defaultdict(list)
    for name in names:
        by_zone[name.zone.pk].append(name)
    answers: dict[str, Answer] = {}
    for zone_names in by_zone.values():
        zone = zone_names[0].zone
        for answer in _check_zone(zone, zone_names):
            answers[answer.name.ascii] = answer
    return [answers[n.ascii] for n in names]


def _check_zone(zone: Any, names: list[Name]) -> list[Answer]:
    module = zone.module
    if zone.availability == Availability.EPP and module is not None:
        epp = get_module(module.kind)
        if "domain_check" in epp.capabilities:
            config = {**module.config, "timeout": str(zone.timeout)}
            try:
                found = epp.check_domains(config, module.get_secrets(), [n.ascii for n in names])  # type: ignore[attr-defined]
            except ModuleError as exc:
                return [Answer(n, None, _("The registry did not answer: %(error)s") % {"error": exc}) for n in names]
            return [
                Answer(n, found.get(n.ascii, {}).get("available"), found.get(n.ascii, {}).get("reason", ""))
                for n in names
            ]
    if zone.availability == Availability.RDAP and zone.rdap_url:
        return [_rdap(zone, n) for n in names]
    if zone.availability == Availability.WHOIS and zone.whois_server:
        return [_whois(zone, n) for n in names]
    return [Answer(n, None, _("No availability source is set for this zone.")) for n in names]


def _rdap(zone: Any, name: Name) -> Answer:
    url = zone.rdap_url.rstrip("/") + "/domain/" + quote(name.ascii)
    try:
        response = requests.get(url, timeout=zone.timeout, headers={"Accept": "application/rdap+json"})
    except requests.RequestException as exc:
        return Answer(name, None, _("The RDAP server did not answer: %(error)s") % {"error": type(exc).__name__})
    if response.status_code == 404:
        return Answer(name, True)
    if response.status_code == 200:
        return Answer(name, False, _("Registered"))
    return Answer(name, None, _("The RDAP server answered %(code)s.") % {"code": response.status_code})


def whois_query(server: str, query: str, timeout: float) -> str:
    host, _sep, port = server.partition(":")
    with socket.create_connection((host, int(port or 43)), timeout=timeout) as sock:
        sock.sendall(query.encode("ascii") + b"\r\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if sum(len(c) for c in chunks) > 1_000_000:
                break
    return b"".join(chunks).decode("utf-8", errors="replace")


def _whois(zone: Any, name: Name) -> Answer:
    try:
        text = whois_query(zone.whois_server, name.ascii, zone.timeout)
    except OSError as exc:
        return Answer(name, None, _("The WHOIS server did not answer: %(error)s") % {"error": exc})
    pattern = (zone.whois_not_found or "").strip().lower()
    if pattern and pattern in text.lower():
        return Answer(name, True)
    return Answer(name, False, _("Registered"))
