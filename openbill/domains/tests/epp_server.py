"""A protocol-level EPP registry for the tests and the demo (RFC 5730–5734).

It speaks real EPP XML over TLS (or plain TCP) with RFC 5734 framing (a 4-byte big-endian
length that counts itself, then the XML), sends a greeting, requires a login, keeps a session
per connection and runs the domain (5731), host (5732) and contact (5733) commands against an
in-memory registry. Registry rules it enforces, as real registries do:

- ``<create>`` of an existing name → 2302; a period outside 1–10 years → 2306;
- ``<renew>`` needs the current expiry date (``curExpDate``) to match → 2306 otherwise, which
  makes a repeated renewal harmless;
- ``<transfer op="request">`` needs the domain's authInfo → 2202 otherwise; the sponsor
  asking for its own domain → 2106; a transfer adds one year;
- name servers are host objects that must exist (2303); a host inside a domain of the
  registry needs an address (glue, 2003) and a host outside must have none (2306);
- every command but the sponsor's own ``<info>`` on another's object → 2201;
- RFC 3915 (``redemption_on_delete``): ``<delete>`` puts the domain in ``redemptionPeriod``
  (status pendingDelete, ``rgp:infData`` in ``<info>``); ``<renew>`` of it → 2304; a
  ``<domain:update>`` with ``<rgp:restore op="request">`` makes it ``pendingRestore``, and the
  restore report (``op="report"``) brings it back; a second ``<delete>`` purges it.

Every frame that crosses the wire is checked against the RFC schemas (``epp_schema``): a
command the schemas reject is answered 2001 (command syntax error) with the schema's complaint
as the reason; an answer of the server's own that they reject is recorded in
``schema_failures`` and raised, so the test fails loudly (the suite's fixture asserts none).

Faults for tests: ``drop_next`` closes the connection on the next N commands without an answer;
``fail_next`` answers the next command with the given result code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import secrets
import socket
import socketserver
import ssl
import struct
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
for _prefix, _uri in (("", EPP), ("domain", DOMAIN), ("host", HOST), ("contact", CONTACT), ("rgp", RGP)):
    ET.register_namespace(_prefix, _uri)

MESSAGES = {
    1000: "Command completed successfully",
    1001: "Command completed successfully; action pending",
    1300: "Command completed successfully; no messages",
    1301: "Command completed successfully; ack to dequeue",
    1500: "Command completed successfully; ending session",
    2001: "Command syntax error",
    2002: "Command use error",
    2003: "Required parameter missing",
    2004: "Parameter value range error",
    2005: "Parameter value syntax error",
    2101: "Unimplemented command",
    2106: "Object is not eligible for transfer",
    2300: "Object pending transfer",
    2200: "Authentication error",
    2201: "Authorization error",
    2202: "Invalid authorization information",
    2302: "Object exists",
    2303: "Object does not exist",
    2304: "Object status prohibits operation",
    2306: "Parameter value policy error",
    2400: "Command failed",
    2502: "Session limit exceeded; server closing connection",
}


class EppFault(Exception):
    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason or MESSAGES.get(code, ""))
        self.code = code
        self.reason = reason


@dataclass
class Domain:
    name: str
    sponsor: str
    expires: dt.datetime
    auth_info: str
    registrant: str = ""
    contacts: dict[str, str] = field(default_factory=dict)
    ns: list[str] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    roid: str = field(default_factory=lambda: f"D{secrets.randbelow(10**8)}-TEST")
    # A transfer waiting for the losing registrar (RFC 5731 3.2.4): who asked, for how many
    # years, and the last transfer's status (pending, clientApproved, clientRejected, serverApproved).
    transfer_to: str = ""
    transfer_years: int = 1
    transfer_status: str = ""
    transfer_from: str = ""  # the losing registrar, who acts on the request
    transfer_requested: dt.datetime | None = None
    transfer_acted: dt.datetime | None = None  # when it was (or must be) answered
    rgp: str = ""  # RFC 3915: "", redemptionPeriod, pendingRestore


@dataclass
class Host:
    name: str
    sponsor: str
    addrs: list[str] = field(default_factory=list)


@dataclass
class Contact:
    handle: str
    sponsor: str
    data: dict[str, str] = field(default_factory=dict)
    auth_info: str = ""


class Registry:
    """The registry's objects and accounts. Thread-safe through one lock."""

    def __init__(self, tlds: tuple[str, ...] = ("test", "example")) -> None:
        self.tlds = tuple(t.lower().strip(".") for t in tlds)
        self.accounts: dict[str, str] = {}
        self.domains: dict[str, Domain] = {}
        self.hosts: dict[str, Host] = {}
        self.contacts: dict[str, Contact] = {}
        self.lock = threading.RLock()
        self.log: list[tuple[str, str]] = []  # (client id, command) of every command run
        # Transfers wait for the losing registrar ("pending") or go through at once ("auto").
        self.transfer_approval = "auto"
        # RFC 3915: a deleted domain is held in redemption (restorable) before it is purged.
        self.redemption_on_delete = False
        # Poll messages per registrar (RFC 5730 2.9.2.3): (id, text, domain name, transfer status).
        self.messages: dict[str, list[tuple[str, str, str, str]]] = {}
        self._message_ids = itertools.count(1)

    def add_account(self, client_id: str, password: str) -> None:
        self.accounts[client_id] = password

    def add_domain(self, name: str, *, sponsor: str = "other-registrar", auth_info: str = "", years: int = 1) -> Domain:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        domain = Domain(name.lower(), sponsor, _add_years(now, years), auth_info or secrets.token_hex(6))
        self.domains[domain.name] = domain
        return domain

    def _move(self, domain: Domain, client_id: str, years: int) -> None:
        domain.sponsor = client_id
        domain.expires = _add_years(domain.expires, years)
        domain.auth_info = secrets.token_hex(6)
        for host in domain.ns:  # subordinate hosts move with their domain
            if host in self.hosts and self.parent_domain(host) is domain:
                self.hosts[host].sponsor = client_id

    def _tell(self, client_id: str, domain: Domain, text: str) -> None:
        self.messages.setdefault(client_id, []).append(
            (str(next(self._message_ids)), text, domain.name, domain.transfer_status)
        )

    def approve_transfer(self, name: str) -> None:
        """The losing registrar approves a pending transfer: it completes, and the gaining
        registrar finds a message in its poll queue."""
        with self.lock:
            domain = self.domains[name]
            gaining = domain.transfer_to
            self._move(domain, gaining, domain.transfer_years)
            domain.transfer_to, domain.transfer_status = "", "clientApproved"
            domain.transfer_acted = _now()
            self._tell(gaining, domain, "Transfer approved.")

    def reject_transfer(self, name: str) -> None:
        with self.lock:
            domain = self.domains[name]
            gaining = domain.transfer_to
            domain.transfer_to, domain.transfer_status = "", "clientRejected"
            domain.transfer_acted = _now()
            self._tell(gaining, domain, "Transfer rejected.")

    def serves(self, name: str) -> bool:
        return "." in name and name.rsplit(".", 1)[1] in self.tlds

    def parent_domain(self, host: str) -> Domain | None:
        labels = host.split(".")
        for i in range(1, len(labels) - 1):
            found = self.domains.get(".".join(labels[i:]))
            if found:
                return found
        return None


def _add_years(when: dt.datetime, years: int) -> dt.datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _trn_data(domain: Domain, status: str = "") -> ET.Element:
    """``<domain:trnData>`` (RFC 5731 3.1.3): every element the schema requires, in its order."""
    data = ET.Element(_q(EPP, "resData"))
    trn = _sub(data, DOMAIN, "trnData")
    _sub(trn, DOMAIN, "name", domain.name)
    _sub(trn, DOMAIN, "trStatus", status or domain.transfer_status or "serverApproved")
    _sub(trn, DOMAIN, "reID", domain.transfer_to or domain.sponsor)
    _sub(trn, DOMAIN, "reDate", _iso(domain.transfer_requested or domain.created))
    _sub(trn, DOMAIN, "acID", domain.transfer_from or domain.sponsor)
    _sub(trn, DOMAIN, "acDate", _iso(domain.transfer_acted or domain.created))
    _sub(trn, DOMAIN, "exDate", _iso(domain.expires))
    return data


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.0Z")


def read_frame(sock: Any) -> bytes | None:
    header = _read_exact(sock, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    if length < 5 or length > 1_000_000:
        return None
    return _read_exact(sock, length - 4)


def _read_exact(sock: Any, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


def write_frame(sock: Any, payload: bytes) -> None:
    sock.sendall(struct.pack(">I", len(payload) + 4) + payload)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _q(ns, tag), attrs)
    if text is not None:
        element.text = text
    return element


def _text(element: ET.Element | None, path: str, default: str = "") -> str:
    if element is None:
        return default
    found = element.find(path, {"epp": EPP, "domain": DOMAIN, "host": HOST, "contact": CONTACT, "rgp": RGP})
    return (found.text or "").strip() if found is not None and found.text else default


NS = {"epp": EPP, "domain": DOMAIN, "host": HOST, "contact": CONTACT, "rgp": RGP}


def _culprit(verb: ET.Element) -> ET.Element:
    """The client element an error's ``<value>`` names: the object's identifier (``domain:name``,
    ``contact:id``) when the command has one, else the command element itself, emptied."""
    obj = next(iter(verb), None)
    ident = next(iter(obj), None) if obj is not None else None
    if ident is not None and len(ident) == 0:
        found = ET.Element(ident.tag)
        found.text = ident.text
        return found
    return ET.Element(verb.tag)


class Session:
    """One connection's state and command handlers."""

    _svtrid = itertools.count(1)

    def __init__(self, server: EppServer) -> None:
        self.server = server
        self.registry = server.registry
        self.client_id = ""
        self.extension: ET.Element | None = None  # the command's <extension>
        self.answer_extension: ET.Element | None = None  # the answer's

    # --- framing of answers ---------------------------------------------------------------------
    def greeting(self) -> bytes:
        root = ET.Element(_q(EPP, "epp"))
        greeting = _sub(root, EPP, "greeting")
        _sub(greeting, EPP, "svID", "Openbill test registry")
        _sub(greeting, EPP, "svDate", _iso(dt.datetime.now(dt.UTC)))
        menu = _sub(greeting, EPP, "svcMenu")
        _sub(menu, EPP, "version", "1.0")
        _sub(menu, EPP, "lang", "en")
        for uri in (DOMAIN, HOST, CONTACT):
            _sub(menu, EPP, "objURI", uri)
        _sub(_sub(menu, EPP, "svcExtension"), EPP, "extURI", RGP)
        dcp = _sub(greeting, EPP, "dcp")
        _sub(_sub(dcp, EPP, "access"), EPP, "all")
        statement = _sub(dcp, EPP, "statement")
        _sub(_sub(statement, EPP, "purpose"), EPP, "prov")
        _sub(_sub(statement, EPP, "recipient"), EPP, "ours")
        _sub(_sub(statement, EPP, "retention"), EPP, "stated")
        return ET.tostring(root, xml_declaration=True, encoding="UTF-8")

    def response(
        self,
        code: int,
        cltrid: str,
        res_data: ET.Element | None = None,
        reason: str = "",
        value: ET.Element | None = None,
    ) -> bytes:
        root = ET.Element(_q(EPP, "epp"))
        response = _sub(root, EPP, "response")
        result = _sub(response, EPP, "result", code=str(code))
        _sub(result, EPP, "msg", MESSAGES.get(code, "Error"))
        if reason:
            # RFC 5730 2.6: <extValue> is the client element at fault (<value>), then <reason>.
            ext_value = _sub(result, EPP, "extValue")
            _sub(ext_value, EPP, "value").append(value if value is not None else ET.Element(_q(EPP, "epp")))
            _sub(ext_value, EPP, "reason", reason)
        if res_data is not None:
            response.append(res_data)
        if self.answer_extension is not None:
            response.append(self.answer_extension)
            self.answer_extension = None
        trid = _sub(response, EPP, "trID")
        if cltrid:
            _sub(trid, EPP, "clTRID", cltrid)
        _sub(trid, EPP, "svTRID", f"SV-{next(self._svtrid)}")
        return ET.tostring(root, xml_declaration=True, encoding="UTF-8")

    # --- dispatch -------------------------------------------------------------------------------
    def handle(self, frame: bytes) -> tuple[bytes, bool]:
        """The answer to one frame, and whether to close the connection after it."""
        invalid = self.server.check_command(frame)
        try:
            root = ET.fromstring(frame)
        except ET.ParseError:
            return self.response(2001, "", reason="not well-formed XML"), False
        if invalid:
            cltrid = _text(root, "epp:command/epp:clTRID")
            return self.response(2001, cltrid if 3 <= len(cltrid) <= 64 else "", reason=invalid), False
        if root.tag != _q(EPP, "epp"):
            return self.response(2001, "", reason="root element must be epp"), False
        if root.find("epp:hello", NS) is not None:
            self.server.hellos += 1
            return self.greeting(), False
        command = root.find("epp:command", NS)
        if command is None:
            return self.response(2001, "", reason="no command"), False
        cltrid = _text(command, "epp:clTRID")
        verb = next((c for c in command if c.tag != _q(EPP, "clTRID") and c.tag != _q(EPP, "extension")), None)
        if verb is None:
            return self.response(2001, cltrid), False
        culprit = _culprit(verb)
        name = verb.tag.split("}", 1)[1]
        forced = self.server.take_fault()
        if forced:
            return self.response(forced, cltrid, reason="injected fault", value=culprit), forced in (2500, 2502)
        try:
            with self.registry.lock:
                if name == "login":
                    return self.login(verb, cltrid), False
                if not self.client_id:
                    raise EppFault(2002, "log in first")
                if name == "logout":
                    self.client_id = ""
                    return self.response(1500, cltrid), True
                if name == "poll":
                    return self.poll(verb, cltrid), False
                obj = next(iter(verb), None)
                if obj is None:
                    raise EppFault(2001)
                kind = {DOMAIN: "domain", HOST: "host", CONTACT: "contact"}.get(obj.tag[1:].split("}")[0], "")
                handler = getattr(self, f"{kind}_{name}", None) if kind else None
                if handler is None:
                    raise EppFault(2101, f"{name} of {obj.tag}")
                self.registry.log.append((self.client_id, f"{kind}:{name}"))
                self.extension = command.find("epp:extension", NS)
                code, data = handler(verb, obj)
                return self.response(code, cltrid, data), False
        except EppFault as fault:
            return self.response(fault.code, cltrid, reason=fault.reason, value=culprit), False

    def login(self, verb: ET.Element, cltrid: str) -> bytes:
        client_id, password = _text(verb, "epp:clID"), _text(verb, "epp:pw")
        if self.client_id:
            raise EppFault(2002, "already logged in")
        if not client_id or self.registry.accounts.get(client_id) != password:
            raise EppFault(2200, "wrong client id or password")
        self.client_id = client_id
        self.server.logins += 1
        return self.response(1000, cltrid)

    def poll(self, verb: ET.Element, cltrid: str) -> bytes:
        """``<poll op="req">``: the oldest message with the queue's size (1301), or 1300 when
        empty; ``<poll op="ack" msgID="…">`` takes it off the queue."""
        queue = self.registry.messages.setdefault(self.client_id, [])
        if verb.get("op") == "ack":
            before = len(queue)
            queue[:] = [m for m in queue if m[0] != verb.get("msgID")]
            if len(queue) == before:
                raise EppFault(2303, f"no message {verb.get('msgID')}")
            return self.response(1000, cltrid)
        if not queue:
            return self.response(1300, cltrid)
        message_id, text, name, status = queue[0]
        data = _trn_data(self.registry.domains.get(name) or Domain(name, "", _now(), ""), status)
        answer = ET.fromstring(self.response(1301, cltrid, data))
        response = answer.find("epp:response", NS)
        assert response is not None
        msgq = ET.Element(_q(EPP, "msgQ"), count=str(len(queue)), id=message_id)
        _sub(msgq, EPP, "msg", text)
        response.insert(1, msgq)  # after <result>, before <resData> (RFC 5730 2.6)
        return ET.tostring(answer, xml_declaration=True, encoding="UTF-8")

    # --- domain -------------------------------------------------------------------------------
    def _domain(self, obj: ET.Element, *, sponsor: bool = True) -> Domain:
        name = _text(obj, "domain:name").lower()
        domain = self.registry.domains.get(name)
        if domain is None:
            raise EppFault(2303, f"{name} is not registered")
        if sponsor and domain.sponsor != self.client_id:
            raise EppFault(2201, f"{name} belongs to another registrar")
        return domain

    def _hosts_exist(self, names: list[str]) -> None:
        for host in names:
            if host not in self.registry.hosts:
                raise EppFault(2303, f"host {host} does not exist")

    def domain_check(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        data = ET.Element(_q(EPP, "resData"))
        chk = _sub(data, DOMAIN, "chkData")
        for element in obj.findall("domain:name", NS):
            name = (element.text or "").strip().lower()
            cd = _sub(chk, DOMAIN, "cd")
            if not self.registry.serves(name):
                _sub(cd, DOMAIN, "name", name, avail="0")
                _sub(cd, DOMAIN, "reason", "TLD not served")
            elif name in self.registry.domains:
                _sub(cd, DOMAIN, "name", name, avail="0")
                _sub(cd, DOMAIN, "reason", "In use")
            else:
                _sub(cd, DOMAIN, "name", name, avail="1")
        return 1000, data

    def domain_create(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        name = _text(obj, "domain:name").lower()
        if not self.registry.serves(name):
            raise EppFault(2306, f"{name}: TLD not served")
        if name in self.registry.domains:
            raise EppFault(2302, f"{name} is already registered")
        years = int(_text(obj, "domain:period", "1"))
        if not 1 <= years <= 10:
            raise EppFault(2306, "period must be 1 to 10 years")
        hosts = [(e.text or "").lower() for e in obj.findall("domain:ns/domain:hostObj", NS)]
        self._hosts_exist(hosts)
        registrant = _text(obj, "domain:registrant")
        if not registrant:
            raise EppFault(2003, "registrant missing")
        for handle in [registrant] + [(e.text or "") for e in obj.findall("domain:contact", NS)]:
            if handle not in self.registry.contacts:
                raise EppFault(2303, f"contact {handle} does not exist")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        domain = Domain(
            name,
            self.client_id,
            _add_years(now, years),
            _text(obj, "domain:authInfo/domain:pw") or secrets.token_hex(6),
            registrant=registrant,
            contacts={e.get("type", ""): e.text or "" for e in obj.findall("domain:contact", NS)},
            ns=hosts,
        )
        self.registry.domains[name] = domain
        data = ET.Element(_q(EPP, "resData"))
        cre = _sub(data, DOMAIN, "creData")
        _sub(cre, DOMAIN, "name", name)
        _sub(cre, DOMAIN, "crDate", _iso(domain.created))
        _sub(cre, DOMAIN, "exDate", _iso(domain.expires))
        return 1000, data

    def domain_info(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        domain = self._domain(obj, sponsor=False)
        data = ET.Element(_q(EPP, "resData"))
        inf = _sub(data, DOMAIN, "infData")
        _sub(inf, DOMAIN, "name", domain.name)
        _sub(inf, DOMAIN, "roid", domain.roid)
        _sub(inf, DOMAIN, "status", s="pendingDelete" if domain.rgp else "ok")
        if domain.rgp:
            self.answer_extension = ET.Element(_q(EPP, "extension"))
            _sub(_sub(self.answer_extension, RGP, "infData"), RGP, "rgpStatus", s=domain.rgp)
        mine = domain.sponsor == self.client_id
        if mine:
            if domain.registrant:
                _sub(inf, DOMAIN, "registrant", domain.registrant)
            for kind, handle in domain.contacts.items():
                _sub(inf, DOMAIN, "contact", handle, type=kind)
            if domain.ns:
                ns = _sub(inf, DOMAIN, "ns")
                for host in domain.ns:
                    _sub(ns, DOMAIN, "hostObj", host)
        _sub(inf, DOMAIN, "clID", domain.sponsor)
        _sub(inf, DOMAIN, "crDate", _iso(domain.created))
        _sub(inf, DOMAIN, "exDate", _iso(domain.expires))
        if mine:
            _sub(_sub(inf, DOMAIN, "authInfo"), DOMAIN, "pw", domain.auth_info)
        return 1000, data

    def domain_renew(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        domain = self._domain(obj)
        if domain.rgp:
            raise EppFault(2304, f"{domain.name} is in {domain.rgp}: restore it first")
        current = _text(obj, "domain:curExpDate")
        if current != domain.expires.date().isoformat():
            raise EppFault(2306, f"curExpDate {current} does not match the expiry date {domain.expires.date()}")
        years = int(_text(obj, "domain:period", "1"))
        if not 1 <= years <= 10 or _add_years(domain.expires, years) > _add_years(dt.datetime.now(dt.UTC), 10):
            raise EppFault(2306, "the registration would exceed 10 years")
        domain.expires = _add_years(domain.expires, years)
        data = ET.Element(_q(EPP, "resData"))
        ren = _sub(data, DOMAIN, "renData")
        _sub(ren, DOMAIN, "name", domain.name)
        _sub(ren, DOMAIN, "exDate", _iso(domain.expires))
        return 1000, data

    def domain_transfer(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        op = verb.get("op", "")
        domain = self._domain(obj, sponsor=False)
        if op == "query":
            pass
        elif op == "request":
            if domain.sponsor == self.client_id:
                raise EppFault(2106, f"{domain.name} is already sponsored by you")
            if domain.transfer_to:
                raise EppFault(2300, f"a transfer of {domain.name} is pending")
            if _text(obj, "domain:authInfo/domain:pw") != domain.auth_info:
                raise EppFault(2202, "the transfer code is wrong")
            years = int(_text(obj, "domain:period", "1"))
            domain.transfer_from, domain.transfer_requested = domain.sponsor, _now()
            if self.registry.transfer_approval == "pending":
                domain.transfer_to, domain.transfer_years, domain.transfer_status = self.client_id, years, "pending"
                domain.transfer_acted = domain.transfer_requested + dt.timedelta(days=5)  # answer due
            else:
                self.registry._move(domain, self.client_id, years)
                domain.transfer_status, domain.transfer_acted = "serverApproved", domain.transfer_requested
        else:
            raise EppFault(2101, f"transfer op {op!r}")
        data = _trn_data(domain)
        return (1001 if domain.transfer_status == "pending" and op == "request" else 1000), data

    def domain_update(self, verb: ET.Element, obj: ET.Element) -> tuple[int, None]:
        domain = self._domain(obj)
        restore = self.extension.find("rgp:update/rgp:restore", NS) if self.extension is not None else None
        if restore is not None:
            return self._restore(domain, restore)
        if domain.rgp:
            raise EppFault(2304, f"{domain.name} is in {domain.rgp}")
        add = [(e.text or "").lower() for e in obj.findall("domain:add/domain:ns/domain:hostObj", NS)]
        rem = [(e.text or "").lower() for e in obj.findall("domain:rem/domain:ns/domain:hostObj", NS)]
        self._hosts_exist(add)
        for host in rem:
            if host not in domain.ns:
                raise EppFault(2303, f"{host} is not a name server of {domain.name}")
        for host in add:
            if host in domain.ns:
                raise EppFault(2302, f"{host} is already a name server of {domain.name}")
        ns = [h for h in domain.ns if h not in rem] + add
        if len(ns) > 13:
            raise EppFault(2306, "at most 13 name servers")
        # RFC 5731 3.2.5: <rem> names the (type, contact) pairs to take off, <add> the new ones.
        for element in obj.findall("domain:rem/domain:contact", NS):
            kind, handle = element.get("type", ""), element.text or ""
            if domain.contacts.get(kind) != handle:
                raise EppFault(2303, f"{handle} is not the {kind} contact of {domain.name}")
            del domain.contacts[kind]
        for element in obj.findall("domain:add/domain:contact", NS):
            handle = element.text or ""
            if handle not in self.registry.contacts:
                raise EppFault(2303, f"contact {handle} does not exist")
            domain.contacts[element.get("type", "")] = handle
        registrant = _text(obj, "domain:chg/domain:registrant")
        if registrant:
            if registrant not in self.registry.contacts:
                raise EppFault(2303, f"contact {registrant} does not exist")
            domain.registrant = registrant
        auth = _text(obj, "domain:chg/domain:authInfo/domain:pw")
        if auth:
            domain.auth_info = auth
        domain.ns = ns
        return 1000, None

    def _restore(self, domain: Domain, restore: ET.Element) -> tuple[int, None]:
        op = restore.get("op", "")
        if op == "request":
            if domain.rgp != "redemptionPeriod":
                raise EppFault(2304, f"{domain.name} is not in redemption")
            domain.rgp = "pendingRestore"
            return 1000, None
        if op == "report":
            report = restore.find("rgp:report", NS)
            if domain.rgp != "pendingRestore" or report is None:
                raise EppFault(2304, f"{domain.name} has no restore pending")
            if not _text(report, "rgp:resReason") or len(report.findall("rgp:statement", NS)) < 2:
                raise EppFault(2003, "the restore report needs a reason and two statements")
            domain.rgp = ""
            return 1000, None
        raise EppFault(2005, f"restore op {op!r}")

    def domain_delete(self, verb: ET.Element, obj: ET.Element) -> tuple[int, None]:
        domain = self._domain(obj)
        if self.registry.redemption_on_delete and not domain.rgp:
            domain.rgp = "redemptionPeriod"
            return 1000, None
        for host in list(self.registry.hosts):
            if self.registry.parent_domain(host) is domain:
                del self.registry.hosts[host]
        del self.registry.domains[domain.name]
        return 1000, None

    # --- host ---------------------------------------------------------------------------------
    def host_check(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        data = ET.Element(_q(EPP, "resData"))
        chk = _sub(data, HOST, "chkData")
        for element in obj.findall("host:name", NS):
            name = (element.text or "").strip().lower()
            cd = _sub(chk, HOST, "cd")
            _sub(cd, HOST, "name", name, avail="0" if name in self.registry.hosts else "1")
        return 1000, data

    def host_create(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        name = _text(obj, "host:name").lower()
        if name in self.registry.hosts:
            raise EppFault(2302, f"host {name} exists")
        addrs = [(e.text or "").strip() for e in obj.findall("host:addr", NS)]
        parent = self.registry.parent_domain(name)
        if parent is not None:
            if parent.sponsor != self.client_id:
                raise EppFault(2201, f"{parent.name} belongs to another registrar")
            if not addrs:
                raise EppFault(2003, f"{name} is inside {parent.name}: an address (glue) is required")
        elif addrs:
            raise EppFault(2306, f"{name} is outside this registry's domains: no address allowed")
        elif self.registry.serves(name):
            raise EppFault(2303, f"the domain of {name} is not registered")
        self.registry.hosts[name] = Host(name, self.client_id, addrs)
        data = ET.Element(_q(EPP, "resData"))
        cre = _sub(data, HOST, "creData")
        _sub(cre, HOST, "name", name)
        _sub(cre, HOST, "crDate", _iso(dt.datetime.now(dt.UTC)))
        return 1000, data

    def host_info(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        name = _text(obj, "host:name").lower()
        host = self.registry.hosts.get(name)
        if host is None:
            raise EppFault(2303, f"host {name} does not exist")
        data = ET.Element(_q(EPP, "resData"))
        inf = _sub(data, HOST, "infData")
        _sub(inf, HOST, "name", host.name)
        for addr in host.addrs:
            _sub(inf, HOST, "addr", addr, ip="v6" if ":" in addr else "v4")
        _sub(inf, HOST, "clID", host.sponsor)
        return 1000, data

    # --- contact ------------------------------------------------------------------------------
    def contact_check(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        data = ET.Element(_q(EPP, "resData"))
        chk = _sub(data, CONTACT, "chkData")
        for element in obj.findall("contact:id", NS):
            handle = (element.text or "").strip()
            cd = _sub(chk, CONTACT, "cd")
            _sub(cd, CONTACT, "id", handle, avail="0" if handle in self.registry.contacts else "1")
        return 1000, data

    def contact_create(self, verb: ET.Element, obj: ET.Element) -> tuple[int, ET.Element]:
        handle = _text(obj, "contact:id")
        if not handle or len(handle) > 16:
            raise EppFault(2005, "contact id must be 3 to 16 characters")
        if handle in self.registry.contacts:
            raise EppFault(2302, f"contact {handle} exists")
        email = _text(obj, "contact:email")
        name = _text(obj, "contact:postalInfo/contact:name")
        if not email or not name:
            raise EppFault(2003, "contact name and email are required")
        fields = {
            "name": name,
            "org": _text(obj, "contact:postalInfo/contact:org"),
            "city": _text(obj, "contact:postalInfo/contact:addr/contact:city"),
            "cc": _text(obj, "contact:postalInfo/contact:addr/contact:cc"),
            "voice": _text(obj, "contact:voice"),
            "email": email,
        }
        self.registry.contacts[handle] = Contact(
            handle, self.client_id, fields, _text(obj, "contact:authInfo/contact:pw")
        )
        data = ET.Element(_q(EPP, "resData"))
        cre = _sub(data, CONTACT, "creData")
        _sub(cre, CONTACT, "id", handle)
        _sub(cre, CONTACT, "crDate", _iso(dt.datetime.now(dt.UTC)))
        return 1000, data

    def contact_update(self, verb: ET.Element, obj: ET.Element) -> tuple[int, None]:
        handle = _text(obj, "contact:id")
        contact = self.registry.contacts.get(handle)
        if contact is None:
            raise EppFault(2303, f"contact {handle} does not exist")
        if contact.sponsor != self.client_id:
            raise EppFault(2201, f"contact {handle} belongs to another registrar")
        chg = obj.find("contact:chg", NS)
        for key, path in (
            ("name", "contact:postalInfo/contact:name"),
            ("org", "contact:postalInfo/contact:org"),
            ("city", "contact:postalInfo/contact:addr/contact:city"),
            ("cc", "contact:postalInfo/contact:addr/contact:cc"),
            ("voice", "contact:voice"),
            ("email", "contact:email"),
        ):
            value = _text(chg, path)
            if value:
                contact.data[key] = value
        return 1000, None


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        epp: EppServer = self.server.epp
        sock = self.request
        if epp.tls_context is not None:
            try:
                sock = epp.tls_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                return
        session = Session(epp)
        with epp._faults:
            epp._open.add(sock)
        try:
            epp.crossed()
            write_frame(sock, epp.check_answer(session.greeting()))
            while True:
                frame = read_frame(sock)
                if frame is None:
                    return
                if epp.take_drop():
                    return
                epp.crossed(2)  # the command and its answer
                answer, close = session.handle(frame)
                write_frame(sock, epp.check_answer(answer))
                if close:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            with epp._faults:
                epp._open.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    epp: EppServer


class EppServer:
    """Runs the registry on 127.0.0.1 in a background thread: ``with EppServer(...) as server``."""

    def __init__(
        self, registry: Registry | None = None, *, tls_context: ssl.SSLContext | None = None, validate: bool = True
    ) -> None:
        self.registry = registry or Registry()
        self.tls_context = tls_context
        # Schema checks (RFC 5730–5733, 3915) of every frame: how many were checked, how many
        # commands were refused as invalid, and the server's own invalid answers (a bug here).
        self.validate = validate
        self.frames_checked = 0
        self.frames_crossed = 0  # frames handled: every greeting, command and answer
        self.invalid_commands = 0
        self.schema_failures: list[str] = []
        self.drop_next = 0
        self.fail_next: list[int] = []
        self.logins = 0
        self.hellos = 0
        self._open: set[Any] = set()
        self._faults = threading.Lock()
        self._server = _TCPServer(("127.0.0.1", 0), _Handler)
        self._server.epp = self
        self.host, self.port = self._server.server_address[:2]
        self._thread: threading.Thread | None = None

    def _problems(self, frame: bytes) -> str:
        from .epp_schema import problems  # lxml: only where frames are checked

        found = problems(frame)
        with self._faults:
            self.frames_checked += 1
        return found

    def crossed(self, frames: int = 1) -> None:
        with self._faults:
            self.frames_crossed += frames

    def check_command(self, frame: bytes) -> str:
        """Why the schemas reject a client's frame ("" when they accept it, or when off)."""
        if not self.validate:
            return ""
        found = self._problems(frame)
        if found:
            with self._faults:
                self.invalid_commands += 1
        return found

    def check_answer(self, frame: bytes) -> bytes:
        """The server's own frame, raised on when the schemas reject it (and recorded)."""
        if self.validate:
            found = self._problems(frame)
            if found:
                with self._faults:
                    self.schema_failures.append(f"{found}\n{frame.decode(errors='replace')}")
                raise AssertionError(f"the test EPP server built an invalid frame: {found}")
        return frame

    def take_drop(self) -> bool:
        with self._faults:
            if self.drop_next > 0:
                self.drop_next -= 1
                return True
            return False

    def close_sessions(self) -> int:
        """Close every open connection, as a registry ends idle sessions. Returns how many."""
        with self._faults:
            open_now = list(self._open)
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(open_now)

    def take_fault(self) -> int:
        with self._faults:
            return self.fail_next.pop(0) if self.fail_next else 0

    def start(self) -> EppServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="epp-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        from openbill.provisioning.modules.epp import forget_sessions

        forget_sessions()  # Openbill's pooled sessions to this server end with it
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> EppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def self_signed_tls(directory: Any) -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 and localhost,
    and the path of that certificate (the CA bundle a client trusts)."""
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "epp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Wide: tests on a frozen clock make it, and OpenSSL checks it against the real one.
        .not_valid_before(min(now, dt.datetime(2020, 1, 1, tzinfo=dt.UTC)) - dt.timedelta(days=1))
        .not_valid_after(max(now, dt.datetime(2040, 1, 1, tzinfo=dt.UTC)) + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(directory)
    cert_path, key_path = folder / "epp-cert.pem", folder / "epp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)


__all__ = ["EppServer", "Registry", "self_signed_tls"]
