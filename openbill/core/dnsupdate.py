"""RFC 2136 dynamic updates signed with TSIG (dnspython), for every part of Openbill that writes
to an authoritative DNS server: the ACME dns-01 responder (TXT records) and reverse DNS (PTR).

``update`` replaces or deletes one record set and raises ``DnsUpdateError`` whose ``retryable``
says whether trying again can help (the server is unreachable or timed out) or not (it refused:
a wrong key, a name outside the zone, REFUSED/NOTAUTH…). ``resolve`` asks one server directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.resolver
import dns.tsig
import dns.tsigkeyring
import dns.update

TIMEOUT = 10.0


class DnsUpdateError(Exception):
    """``reason`` is one of ``name`` (not a valid name, or outside the zone), ``key`` (the TSIG
    key is invalid or refused), ``refused`` (the server answered with an error code),
    ``unreachable`` (no answer, or SERVFAIL): callers word it for people."""

    def __init__(self, message: str, *, retryable: bool, reason: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.reason = reason


@dataclass(frozen=True)
class Server:
    """An authoritative server accepting updates for ``zone``; no key name → unsigned."""

    host: str
    port: int
    zone: str
    key_name: str = ""
    secret: str = ""
    algorithm: str = "hmac-sha256"


def update(
    server: Server,
    name: str,
    rdtype: str,
    *,
    replace: list[str] | None = None,
    add: list[str] | None = None,
    delete: list[str] | None = None,
    ttl: int = 3600,
) -> None:
    """Change ``name``'s ``rdtype`` records: ``replace`` makes them exactly these values (an
    empty list deletes them all); ``add`` and ``delete`` add or remove single values and leave
    the others (the ACME responder touches only its own TXT value). ``name`` is absolute or
    relative to the zone."""
    try:
        zone = dns.name.from_text(server.zone)
        owner = dns.name.from_text(name, origin=zone)
    except dns.exception.DNSException as exc:
        raise DnsUpdateError(f"invalid name {name!r}: {exc}", retryable=False, reason="name") from None
    if not owner.is_subdomain(zone):
        raise DnsUpdateError(f"{owner} is not in the zone {zone}", retryable=False, reason="name")
    keyring = None
    if server.key_name:
        try:
            keyring = dns.tsigkeyring.from_text({server.key_name: server.secret})
        except (ValueError, dns.exception.DNSException) as exc:
            raise DnsUpdateError(f"invalid TSIG key: {exc}", retryable=False, reason="key") from None
    message = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=server.algorithm or "hmac-sha256")
    relative = owner.relativize(zone)
    if replace is not None:
        message.delete(relative, rdtype)
        for value in replace:
            message.add(relative, ttl, rdtype, value)
    for value in delete or []:
        message.delete(relative, rdtype, value)
    for value in add or []:
        message.add(relative, ttl, rdtype, value)
    try:
        answer = dns.query.tcp(message, server.host, port=server.port, timeout=TIMEOUT)
    except dns.tsig.PeerError as exc:  # the server rejects the key: retrying cannot help
        raise DnsUpdateError(f"the DNS server refused the key: {exc}", retryable=False, reason="key") from None
    except (OSError, dns.exception.DNSException) as exc:
        raise DnsUpdateError(f"the DNS server did not answer: {exc}", retryable=True, reason="unreachable") from None
    rcode = answer.rcode()
    if rcode == dns.rcode.SERVFAIL:
        raise DnsUpdateError("the DNS server failed (SERVFAIL)", retryable=True, reason="unreachable")
    if rcode != dns.rcode.NOERROR:
        raise DnsUpdateError(
            f"the DNS server refused the update ({dns.rcode.to_text(rcode)})", retryable=False, reason="refused"
        )


def resolver(nameserver: str = "") -> dns.resolver.Resolver:
    """A resolver asking ``host[:port]``, or the system's resolvers when empty."""
    if not nameserver:
        return dns.resolver.Resolver()
    host, _sep, port = nameserver.rpartition(":") if nameserver.count(":") == 1 else (nameserver, "", "")
    made = dns.resolver.Resolver(configure=False)
    made.nameservers = [host]
    if port:
        made.port = int(port)
    return made


def resolve(nameserver: str, name: str, rdtype: str) -> list[str]:
    """The records of ``name`` (empty when it has none); raises DnsUpdateError(retryable=True)
    when the server does not answer."""
    try:
        answer = resolver(nameserver).resolve(name, rdtype, lifetime=TIMEOUT)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise DnsUpdateError(f"cannot resolve {name}: {exc}", retryable=True, reason="unreachable") from None
    return [record.to_text() for record in answer]
