"""Name validation and IDN: what the client typed → punycode stored, Unicode shown, or the
reason it is refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from openbill.core.errors import DomainError
from openbill.domains.names import host_ascii, parse, split_names, to_unicode

LATIN = SimpleNamespace(name="test", charset="latin", pk=1)
RF = SimpleNamespace(name="xn--p1ai", charset="idn", pk=2)
COUK = SimpleNamespace(name="co.uk", charset="idn", pk=3)
ZONES = [LATIN, RF, COUK]


def test_idn_round_trip() -> None:
    name = parse("Пример.РФ", ZONES)
    assert name.ascii == "xn--e1afmkfd.xn--p1ai"
    assert name.unicode == "пример.рф"
    assert name.zone is RF
    assert to_unicode(name.ascii) == "пример.рф"
    assert parse("xn--e1afmkfd.xn--p1ai", ZONES).unicode == "пример.рф"


def test_uts46_mapping_folds_case_and_full_stops() -> None:
    assert parse("Straße.co.uk", ZONES).ascii == "xn--strae-oqa.co.uk"
    assert parse("EXAMPLE。test", ZONES).ascii == "example.test"


def test_name_without_zone_takes_the_only_zone() -> None:
    assert parse("alice", [LATIN], default_zone=LATIN).ascii == "alice.test"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("a" * 64 + ".test", "longer than 63"),
        (".".join(["a" * 60] * 5) + ".test", "253"),
        ("bad_name.test", "not a valid domain name"),
        ("-dash.test", "not a valid domain name"),
        ("alice.org", "do not sell names in this zone"),
        ("sub.alice.test", "directly under .test"),
        ("café.test", "accepts only Latin"),
        ("alice..test", "label is empty"),
        ("", "Type a domain name"),
    ],
)
def test_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(DomainError, match=reason):
        parse(raw, ZONES)


def test_split_names() -> None:
    assert split_names(" alice.test, bob.test\ncarol ") == ["alice.test", "bob.test", "carol"]


def test_host_names() -> None:
    assert host_ascii("NS1.Example.NET.") == "ns1.example.net"
    with pytest.raises(DomainError, match="not a valid host name"):
        host_ascii("localhost")
