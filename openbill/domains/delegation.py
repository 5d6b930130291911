"""Is a domain delegated? Asks DNS for real: the parent zone's servers for the domain's NS set
(the referral), then each name server for the domain's SOA — is it authoritative, do the
serials agree. *Delegated*, *not delegated* or *lame*, with the reason in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
from django.utils.translation import gettext as _

DELEGATED, NOT_DELEGATED, LAME = "delegated", "not_delegated", "lame"


@dataclass
class Server:
    host: str
    address: str = ""
    authoritative: bool = False
    serial: int | None = None
    error: str = ""


@dataclass
class Result:
    state: str
    reason: str
    parent_ns: list[str] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)


def _ask(name: str, rdtype: str, address: str, port: int, timeout: float) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    query.flags &= ~dns.flags.RD  # an authoritative question, no recursion
    response = dns.query.udp(query, address, timeout=timeout, port=port)
    if response.flags & dns.flags.TC:
        response = dns.query.tcp(query, address, timeout=timeout, port=port)
    return response


def _addresses(host: str, resolver: dns.resolver.Resolver) -> list[str]:
    found = []
    for rdtype in ("A", "AAAA"):
        try:
            found += [r.to_text() for r in resolver.resolve(host, rdtype)]
        except dns.exception.DNSException:
            continue
    return found


def parent_servers(domain: str, resolver: dns.resolver.Resolver) -> list[str]:
    parent = dns.name.from_text(domain).parent().to_text()
    hosts = [r.target.to_text() for r in resolver.resolve(parent, "NS")]
    return [a for host in hosts for a in _addresses(host, resolver)]


def check(
    domain: str,
    *,
    parents: list[str] | None = None,
    port: int = 53,
    timeout: float = 3.0,
    resolver: Any = None,
) -> Result:
    """``domain`` in ASCII. ``parents``: addresses of the parent zone's servers (found through
    the resolver when not given). All queries go to ``port``."""
    resolver = resolver or dns.resolver.Resolver()
    fqdn = dns.name.from_text(domain)
    try:
        parents = parents or parent_servers(domain, resolver)
    except dns.exception.DNSException as exc:
        return Result(NOT_DELEGATED, _("The parent zone's servers could not be found (%(error)s).") % {"error": exc})
    referral: list[str] | None = None
    glue: dict[str, list[str]] = {}
    last_error = ""
    for address in parents:
        try:
            response = _ask(domain, "NS", address, port, timeout)
        except (dns.exception.DNSException, OSError) as exc:
            last_error = str(exc) or type(exc).__name__
            continue
        if response.rcode() == dns.rcode.NXDOMAIN:
            return Result(NOT_DELEGATED, _("The parent zone does not delegate %(domain)s.") % {"domain": domain})
        for section in (response.answer, response.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.NS and rrset.name == fqdn:
                    referral = sorted(r.target.to_text(omit_final_dot=True).lower() for r in rrset)
        for rrset in response.additional:
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue.setdefault(rrset.name.to_text(omit_final_dot=True).lower(), []).extend(r.to_text() for r in rrset)
        break
    else:
        return Result(NOT_DELEGATED, _("The parent zone's servers did not answer (%(error)s).") % {"error": last_error})
    if not referral:
        return Result(NOT_DELEGATED, _("The parent zone does not delegate %(domain)s.") % {"domain": domain})
    servers = []
    for host in referral:
        server = Server(host)
        addresses = glue.get(host) or _addresses(host, resolver)
        if not addresses:
            server.error = _("its address could not be found")
            servers.append(server)
            continue
        server.address = addresses[0]
        try:
            response = _ask(domain, "SOA", server.address, port, timeout)
        except (dns.exception.DNSException, OSError) as exc:
            server.error = _("no answer (%(error)s)") % {"error": str(exc) or type(exc).__name__}
            servers.append(server)
            continue
        server.authoritative = bool(response.flags & dns.flags.AA)
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                server.serial = int(rrset[0].serial)
        if not server.authoritative or server.serial is None:
            server.error = _("not authoritative for the domain")
        servers.append(server)
    faulty = [s for s in servers if s.error]
    if faulty:
        reason = "; ".join(f"{s.host}: {s.error}" for s in faulty)
        return Result(LAME, reason, referral, servers)
    serials = {s.serial for s in servers}
    if len(serials) > 1:
        listed = ", ".join(f"{s.host} {s.serial}" for s in servers)
        return Result(LAME, _("The name servers' serials differ: %(list)s.") % {"list": listed}, referral, servers)
    return Result(
        DELEGATED,
        _("%(count)s name servers answer with serial %(serial)s.") % {"count": len(servers), "serial": serials.pop()},
        referral,
        servers,
    )
