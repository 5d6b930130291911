"""Domain registration through a registry's EPP server (RFC 5730 protocol, 5731 domains, 5732
hosts, 5733 contacts, 5734 transport over TLS), with the standard library only.

The service's ``domain`` parameter (or its name) is the domain, in ASCII (punycode). Its
parameters also carry ``action`` (``register`` or ``transfer``), ``auth_code`` (transfer),
``years`` (1–10), ``ns`` (name servers: ``ns1.example.net`` or, inside the domain itself,
``ns1.example.com/192.0.2.1,2001:db8::1``) and ``contacts`` (role → registry handle and the
contact's fields: ``owner``, ``admin``, ``tech``, ``billing``).

Sessions are kept open between operations (per process, per server and login) and reused:
one idle for ``keepalive`` seconds (default 60) is first checked with an EPP ``<hello>``; when
the registry has closed it meanwhile (registries end idle sessions), a new one is opened and
logged in, and the operation goes on. One idle longer than ``session_max_idle`` (default 600)
is logged out and replaced. A session that failed is never reused. Result
codes map to ``ModuleError``: 2400 (command failed), 2500/2502 (server closing the
connection, session limit) and any connection error are retryable; every other 2xxx code
(2302 exists, 2201 authorisation, 2202 wrong transfer code, 2306 policy…) is permanent and
carries the registry's message for staff.

Repeating an operation is harmless: a ``<create>`` answered 2302 for a domain this registrar
already sponsors counts as done, a transfer of a domain already ours too, and ``<renew>``
sends the expiry date seen before the renewal (the registry refuses a second renewal with the
same ``curExpDate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl
import struct
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import ConfigField, Module, ModuleError, ServiceSpec, register

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
NS = {"epp": EPP, "domain": DOMAIN, "host": HOST, "contact": CONTACT, "rgp": RGP}
for _prefix, _uri in (("", EPP), ("domain", DOMAIN), ("host", HOST), ("contact", CONTACT), ("rgp", RGP)):
    ET.register_namespace(_prefix, _uri)

RETRYABLE_CODES = frozenset({2400, 2500, 2502})
MAX_FRAME = 4_000_000
CONTACT_ROLES = ("admin", "tech", "billing")


@dataclass(frozen=True)
class Result:
    code: int
    message: str
    reason: str
    data: ET.Element | None
    queue: ET.Element | None = None  # <msgQ> of a poll answer
    extension: ET.Element | None = None  # <extension> of the answer (RFC 3915 rgp:infData)

    @property
    def ok(self) -> bool:
        return 1000 <= self.code < 2000

    def error(self, what: str) -> ModuleError:
        detail = f"{self.message}: {self.reason}" if self.reason else self.message
        return ModuleError(f"EPP {what}: {self.code} {detail}", retryable=self.code in RETRYABLE_CODES)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _q(ns, tag), attrs)
    if text is not None:
        element.text = text
    return element


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def parse_ns(entries: Any) -> list[tuple[str, list[str]]]:
    """``["ns1.a.net", "ns1.b.com/192.0.2.1,2001:db8::1"]`` (or one space-separated string) →
    ``[(host, [addresses])]``, host names in lower case."""
    if isinstance(entries, str):
        entries = entries.split()
    result = []
    for entry in entries or []:
        host, _, addrs = str(entry).strip().partition("/")
        result.append((host.strip().lower().rstrip("."), [a.strip() for a in addrs.split(",") if a.strip()]))
    return result


def in_domain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


class Session:
    """One logged-in EPP session over one connection."""

    def __init__(self, sock: Any, trid_prefix: str) -> None:
        self.sock = sock
        self.trid_prefix = trid_prefix[:40]
        self.counter = 0

    # --- RFC 5734 framing -----------------------------------------------------------------------
    def _read(self) -> bytes:
        header = self._exact(4)
        (length,) = struct.unpack(">I", header)
        if length <= 4 or length > MAX_FRAME:
            raise ModuleError(f"EPP: bad frame length {length}", retryable=True)
        return self._exact(length - 4)

    def _exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            try:
                chunk = self.sock.recv(size - len(data))
            except (OSError, ssl.SSLError) as exc:
                raise ModuleError(f"EPP connection: {exc}", retryable=True) from None
            if not chunk:
                raise ModuleError("EPP connection closed by the server", retryable=True)
            data += chunk
        return data

    def _write(self, payload: bytes) -> None:
        try:
            self.sock.sendall(struct.pack(">I", len(payload) + 4) + payload)
        except (OSError, ssl.SSLError) as exc:
            raise ModuleError(f"EPP connection: {exc}", retryable=True) from None

    def hello(self) -> None:
        """``<hello>``: the server answers with its greeting (RFC 5730 2.3), which keeps an idle
        session open and proves it is still there."""
        root = ET.Element(_q(EPP, "epp"))
        _sub(root, EPP, "hello")
        self._write(ET.tostring(root, xml_declaration=True, encoding="UTF-8"))
        self.greeting()

    def close(self) -> None:
        with suppress(OSError):
            self.sock.close()

    def greeting(self) -> ET.Element:
        root = self._parse(self._read())
        greeting = root.find("epp:greeting", NS)
        if greeting is None:
            raise ModuleError("EPP: the server sent no greeting", retryable=True)
        return greeting

    @staticmethod
    def _parse(frame: bytes) -> ET.Element:
        # EPP forbids DTDs; refusing them shuts out entity expansion (billion laughs, XXE).
        if b"<!DOCTYPE" in frame.upper() or b"<!ENTITY" in frame.upper():
            raise ModuleError("EPP: an answer with a DTD was refused", retryable=False)
        try:
            return ET.fromstring(frame)  # noqa: S314 - no DTD, checked above
        except ET.ParseError as exc:
            raise ModuleError(f"EPP: malformed answer ({exc})", retryable=True) from None

    # --- commands -------------------------------------------------------------------------------
    def command(self, build: Any) -> Result:
        """Send ``<command>`` whose verb element ``build(command)`` adds; return the result."""
        root = ET.Element(_q(EPP, "epp"))
        command = _sub(root, EPP, "command")
        build(command)
        self.counter += 1
        _sub(command, EPP, "clTRID", f"{self.trid_prefix}-{self.counter}")
        self._write(ET.tostring(root, xml_declaration=True, encoding="UTF-8"))
        answer = self._parse(self._read())
        result = answer.find("epp:response/epp:result", NS)
        if result is None:
            raise ModuleError("EPP: an answer without a result", retryable=True)
        return Result(
            code=int(result.get("code", "0")),
            message=_text(result, "epp:msg"),
            reason=_text(result, "epp:extValue/epp:reason"),
            data=answer.find("epp:response/epp:resData", NS),
            queue=answer.find("epp:response/epp:msgQ", NS),
            extension=answer.find("epp:response/epp:extension", NS),
        )

    def object_command(self, verb: str, ns: str, build: Any, *, extension: Any = None, **verb_attrs: str) -> Result:
        """``<verb><ns:verb>`` filled by ``build``; ``extension(element)`` fills ``<extension>``."""

        def wrapper(command: ET.Element) -> None:
            build(_sub(_sub(command, EPP, verb, **verb_attrs), ns, verb))
            if extension is not None:
                extension(_sub(command, EPP, "extension"))

        return self.command(wrapper)

    def login(self, client_id: str, password: str, greeting: ET.Element) -> None:
        services = [e.text or "" for e in greeting.findall("epp:svcMenu/epp:objURI", NS)]

        def build(command: ET.Element) -> None:
            login = _sub(command, EPP, "login")
            _sub(login, EPP, "clID", client_id)
            _sub(login, EPP, "pw", password)
            options = _sub(login, EPP, "options")
            _sub(options, EPP, "version", "1.0")
            _sub(options, EPP, "lang", "en")
            svcs = _sub(login, EPP, "svcs")
            for uri in (DOMAIN, HOST, CONTACT):
                if not services or uri in services:
                    _sub(svcs, EPP, "objURI", uri)
            extensions = [e.text or "" for e in greeting.findall("epp:svcMenu/epp:svcExtension/epp:extURI", NS)]
            if RGP in extensions:
                _sub(_sub(svcs, EPP, "svcExtension"), EPP, "extURI", RGP)

        result = self.command(build)
        if not result.ok:
            raise result.error("login")

    def logout(self) -> None:
        with suppress(ModuleError):
            self.command(lambda command: _sub(command, EPP, "logout"))


_POOL: dict[tuple[str, int, str, str], list[tuple[Session, float]]] = {}
_POOL_LOCK = threading.Lock()
POOL_SIZE = 2  # idle sessions kept per server and login


def _number(config: dict[str, Any], key: str, default: float) -> float:
    try:
        return float(config.get(key) or default)
    except ValueError:
        raise ModuleError(f"EPP {key} must be a number", retryable=False) from None


def _connect(config: dict[str, Any], secrets: dict[str, Any], trid_prefix: str) -> Session:
    """A new connection: TLS, greeting, login."""
    host = str(config.get("host") or "")
    port = int(_number(config, "port", 700))
    timeout = _number(config, "timeout", 30)
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ModuleError(f"EPP connection to {host}:{port}: {exc}", retryable=True) from None
    sock: Any = raw
    try:
        if str(config.get("tls", "yes")).lower() not in ("no", "0", "false", "off"):
            context = ssl.create_default_context(cafile=config.get("ca_bundle") or None)
            if config.get("cert_file"):
                context.load_cert_chain(str(config["cert_file"]), config.get("key_file") or None)
            sock = context.wrap_socket(raw, server_side=False, server_hostname=host)
        epp = Session(sock, trid_prefix)
        greeting = epp.greeting()
        epp.login(str(config.get("client_id") or ""), str(secrets.get("password") or ""), greeting)
    except (OSError, ssl.SSLError) as exc:
        raw.close()
        raise ModuleError(f"EPP connection to {host}:{port}: {exc}", retryable=True) from None
    except BaseException:
        raw.close()
        raise
    return epp


def _idle_session(key: tuple[str, int, str, str], config: dict[str, Any]) -> Session | None:
    """An idle session of the pool that still answers (``<hello>`` after ``keepalive``)."""
    keepalive = _number(config, "keepalive", 60)
    max_idle = _number(config, "session_max_idle", 600)
    while True:
        with _POOL_LOCK:
            idle = _POOL.get(key) or []
            if not idle:
                return None
            epp, since = idle.pop()
        waited = time.monotonic() - since
        if waited > max_idle:
            epp.logout()
            epp.close()
            continue
        if waited >= keepalive:
            try:
                epp.hello()
            except ModuleError:  # the registry closed it meanwhile: open another
                epp.close()
                continue
        return epp


def forget_sessions() -> None:
    """Close every pooled session (tests; a changed module instance)."""
    with _POOL_LOCK:
        sessions = [epp for idle in _POOL.values() for epp, _since in idle]
        _POOL.clear()
    for epp in sessions:
        epp.close()


@contextmanager
def session(config: dict[str, Any], secrets: dict[str, Any], trid_prefix: str) -> Iterator[Session]:
    host = str(config.get("host") or "")
    if not host:
        raise ModuleError("the module has no EPP server host", retryable=False)
    password = str(secrets.get("password") or "")
    key = (
        host,
        int(_number(config, "port", 700)),
        str(config.get("client_id") or ""),
        hashlib.sha256(password.encode()).hexdigest(),
    )
    epp = _idle_session(key, config) or _connect(config, secrets, trid_prefix)
    epp.trid_prefix = trid_prefix[:40]
    try:
        yield epp
    except BaseException:
        epp.close()  # its state is unknown: never reused
        raise
    with _POOL_LOCK:
        idle = _POOL.setdefault(key, [])
        if len(idle) < POOL_SIZE:
            idle.append((epp, time.monotonic()))
            return
    epp.logout()
    epp.close()


def _date(value: str) -> str:
    """An EPP dateTime → ISO date-time (UTC)."""
    if not value:
        return ""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).isoformat()


def _add_years(iso_date: str, years: int) -> str:
    day = dt.date.fromisoformat(iso_date)
    try:
        return day.replace(year=day.year + years).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28).isoformat()


@register
class EppModule(Module):
    name = "epp"
    label = str(_("EPP domain registry"))
    config_schema = {
        "host": ConfigField(str(_("EPP server host")), required=True),
        "port": ConfigField(str(_("EPP server port")), default="700"),
        "tls": ConfigField(str(_("TLS (yes or no)")), default="yes"),
        "ca_bundle": ConfigField(str(_("CA bundle to trust for the EPP server"))),
        "cert_file": ConfigField(str(_("Client certificate file (PEM), if the registry requires one"))),
        "key_file": ConfigField(str(_("Client certificate key file (PEM)"))),
        "client_id": ConfigField(str(_("Registrar login (clID)")), required=True),
        "password": ConfigField(str(_("Registrar password")), secret=True, required=True),
        "timeout": ConfigField(str(_("Timeout in seconds")), default="30"),
        "keepalive": ConfigField(str(_("Check an idle session with <hello> after (seconds)")), default="60"),
        "session_max_idle": ConfigField(str(_("Log out a session idle longer than (seconds)")), default="600"),
    }
    # "renewal": the registry keeps the paid period, so a renewal in Openbill renews there too.
    capabilities = frozenset(
        {"domains", "domain_check", "check_connection", "whois", "update_ns", "renewal", "transfer_status", "poll"}
    )

    # --- plumbing -----------------------------------------------------------------------------
    @staticmethod
    def domain(spec: ServiceSpec) -> str:
        return str(spec.parameters.get("domain") or spec.name).strip().lower().rstrip(".")

    @staticmethod
    def _session(spec: ServiceSpec) -> Any:
        return session(spec.config, spec.secrets, f"ob-{spec.idempotency_key}")

    @staticmethod
    def _info(epp: Session, domain: str) -> dict[str, Any]:
        result = epp.object_command("info", DOMAIN, lambda e: _sub(e, DOMAIN, "name", domain))
        if not result.ok:
            raise result.error(f"info {domain}")
        inf = result.data.find("domain:infData", NS) if result.data is not None else None
        rgp = result.extension.findall("rgp:infData/rgp:rgpStatus", NS) if result.extension is not None else []
        return {
            "domain": _text(inf, "domain:name"),
            "roid": _text(inf, "domain:roid"),
            "statuses": [e.get("s", "") for e in (inf.findall("domain:status", NS) if inf is not None else [])],
            "rgp": [e.get("s", "") for e in rgp],
            "registrant": _text(inf, "domain:registrant"),
            "contacts": {
                e.get("type", ""): (e.text or "")
                for e in (inf.findall("domain:contact", NS) if inf is not None else [])
            },
            "ns": [e.text or "" for e in (inf.findall("domain:ns/domain:hostObj", NS) if inf is not None else [])],
            "sponsor": _text(inf, "domain:clID"),
            "created": _date(_text(inf, "domain:crDate")),
            "expires": _date(_text(inf, "domain:exDate")),
            "auth_code": _text(inf, "domain:authInfo/domain:pw"),
        }

    @staticmethod
    def _ensure_contacts(epp: Session, contacts: dict[str, Any]) -> dict[str, str]:
        """Create the service's contacts at the registry (an existing handle is kept)."""
        handles: dict[str, str] = {}
        for role, contact in (contacts or {}).items():
            if not isinstance(contact, dict):
                handles[role] = str(contact)
                continue
            handle = str(contact["handle"])
            handles[role] = handle

            def build(e: ET.Element, c: dict[str, Any] = contact, h: str = handle) -> None:
                _sub(e, CONTACT, "id", h)
                postal = _sub(e, CONTACT, "postalInfo", type="int")
                _sub(postal, CONTACT, "name", str(c.get("name", "")))
                if c.get("org"):
                    _sub(postal, CONTACT, "org", str(c["org"]))
                addr = _sub(postal, CONTACT, "addr")
                _sub(addr, CONTACT, "street", str(c.get("street", "")))
                _sub(addr, CONTACT, "city", str(c.get("city", "")))
                if c.get("region"):
                    _sub(addr, CONTACT, "sp", str(c["region"]))
                if c.get("postcode"):
                    _sub(addr, CONTACT, "pc", str(c["postcode"]))
                _sub(addr, CONTACT, "cc", str(c.get("country", "")))
                if c.get("phone"):
                    _sub(e, CONTACT, "voice", str(c["phone"]))
                _sub(e, CONTACT, "email", str(c.get("email", "")))
                _sub(_sub(e, CONTACT, "authInfo"), CONTACT, "pw", f"{h}-Ob1!")

            result = epp.object_command("create", CONTACT, build)
            if not result.ok and result.code != 2302:
                raise result.error(f"contact create {handle}")
        return handles

    @staticmethod
    def _ensure_hosts(epp: Session, hosts: list[tuple[str, list[str]]], domain: str) -> None:
        """Create the host objects the name servers need; glue only inside ``domain``."""
        for host, addrs in hosts:
            inside = in_domain(host, domain)
            if inside and not addrs:
                raise ModuleError(f"{host} is inside {domain}: it needs an IP address (glue)", retryable=False)
            if not inside and addrs:
                raise ModuleError(f"{host} is outside {domain}: give no IP address for it", retryable=False)
            check = epp.object_command("check", HOST, lambda e, h=host: _sub(e, HOST, "name", h))
            if not check.ok:
                raise check.error(f"host check {host}")
            name = check.data.find("host:chkData/host:cd/host:name", NS) if check.data is not None else None
            if name is not None and name.get("avail") in ("0", "false"):
                continue

            def build(e: ET.Element, h: str = host, a: list[str] = addrs) -> None:
                _sub(e, HOST, "name", h)
                for addr in a:
                    _sub(e, HOST, "addr", addr, ip="v6" if ":" in addr else "v4")

            result = epp.object_command("create", HOST, build)
            if not result.ok and result.code != 2302:
                raise result.error(f"host create {host}")

    @staticmethod
    def _set_ns(epp: Session, domain: str, current: list[str], wanted: list[str]) -> None:
        add = [h for h in wanted if h not in current]
        rem = [h for h in current if h not in wanted]
        if not add and not rem:
            return

        def build(e: ET.Element) -> None:
            _sub(e, DOMAIN, "name", domain)
            if add:
                ns = _sub(_sub(e, DOMAIN, "add"), DOMAIN, "ns")
                for host in add:
                    _sub(ns, DOMAIN, "hostObj", host)
            if rem:
                ns = _sub(_sub(e, DOMAIN, "rem"), DOMAIN, "ns")
                for host in rem:
                    _sub(ns, DOMAIN, "hostObj", host)

        result = epp.object_command("update", DOMAIN, build)
        if not result.ok:
            raise result.error(f"update {domain}")

    # --- operations ---------------------------------------------------------------------------
    def open(self, spec: ServiceSpec) -> dict[str, Any]:
        if spec.parameters.get("action") == "transfer":
            return self.transfer(spec)
        domain = self.domain(spec)
        years = int(spec.parameters.get("years") or 1)
        hosts = parse_ns(spec.parameters.get("ns"))
        with self._session(spec) as epp:
            handles = self._ensure_contacts(epp, spec.parameters.get("contacts") or {})
            if "owner" not in handles:
                raise ModuleError(f"{domain}: no owner contact", retryable=False)
            outside = [(h, a) for h, a in hosts if not in_domain(h, domain)]
            self._ensure_hosts(epp, outside, domain)

            def build(e: ET.Element) -> None:
                _sub(e, DOMAIN, "name", domain)
                _sub(e, DOMAIN, "period", str(years), unit="y")
                if outside:
                    ns = _sub(e, DOMAIN, "ns")
                    for host, _addrs in outside:
                        _sub(ns, DOMAIN, "hostObj", host)
                _sub(e, DOMAIN, "registrant", handles["owner"])
                for role in CONTACT_ROLES:
                    if role in handles:
                        _sub(e, DOMAIN, "contact", handles[role], type="billing" if role == "billing" else role)
                _sub(_sub(e, DOMAIN, "authInfo"), DOMAIN, "pw", spec.idempotency_key[-16:] + "Ob1!")

            result = epp.object_command("create", DOMAIN, build)
            if result.code == 2302:
                info = self._info(epp, domain)
                if info["sponsor"] != spec.config.get("client_id"):
                    raise result.error(f"create {domain}")
            elif not result.ok:
                raise result.error(f"create {domain}")
            if len(outside) < len(hosts):  # name servers inside the domain: now that it exists
                self._ensure_hosts(epp, hosts, domain)
                self._set_ns(epp, domain, [h for h, _a in outside], [h for h, _a in hosts])
            info = self._info(epp, domain)
        return {"remote_id": info["roid"], "expires": info["expires"], "ns": info["ns"]}

    def transfer(self, spec: ServiceSpec) -> dict[str, Any]:
        domain = self.domain(spec)
        code = str(spec.parameters.get("auth_code") or spec.operation_params.get("auth_code") or "")
        with self._session(spec) as epp:

            def build(e: ET.Element) -> None:
                _sub(e, DOMAIN, "name", domain)
                _sub(_sub(e, DOMAIN, "authInfo"), DOMAIN, "pw", code)

            result = epp.object_command("transfer", DOMAIN, build, op="request")
            if result.code == 2106:  # already ours: an earlier attempt went through
                info = self._info(epp, domain)
                if info["sponsor"] != spec.config.get("client_id"):
                    raise result.error(f"transfer {domain}")
                return {
                    "remote_id": info["roid"],
                    "expires": info["expires"],
                    "transfer_status": "serverApproved",
                    "pending": False,
                }
            if result.code == 2300:  # pending already: an earlier attempt asked for it
                status = self._transfer_query(epp, domain)
            elif not result.ok:
                raise result.error(f"transfer {domain}")
            else:
                status = _text(result.data, "domain:trnData/domain:trStatus") or "serverApproved"
            if status == "pending":
                # The losing registrar has days to answer: the domain is not ours yet (no <info>).
                return {"transfer_status": "pending", "pending": True}
            info = self._info(epp, domain)
        return {"remote_id": info["roid"], "expires": info["expires"], "transfer_status": status, "pending": False}

    @staticmethod
    def _transfer_query(epp: Session, domain: str) -> str:
        result = epp.object_command("transfer", DOMAIN, lambda e: _sub(e, DOMAIN, "name", domain), op="query")
        if not result.ok:
            raise result.error(f"transfer query {domain}")
        return _text(result.data, "domain:trnData/domain:trStatus")

    def transfer_status(self, spec: ServiceSpec) -> dict[str, Any]:
        """Where a requested transfer stands (``<transfer op="query">``): ``status`` is the
        registry's trStatus (pending, clientApproved, serverApproved, clientRejected,
        clientCancelled, serverCancelled); once approved, the domain's ``expires`` and ``remote_id``."""
        domain = self.domain(spec)
        with self._session(spec) as epp:
            status = self._transfer_query(epp, domain)
            if status not in ("clientApproved", "serverApproved"):
                return {"status": status}
            info = self._info(epp, domain)
            if info["sponsor"] != spec.config.get("client_id"):
                return {"status": status, "sponsor": info["sponsor"]}
            return {"status": status, "expires": info["expires"], "remote_id": info["roid"]}

    def poll(self, config: dict[str, Any], secrets: dict[str, Any], *, limit: int = 100) -> list[dict[str, str]]:
        """Read the registrar's poll queue (RFC 5730 ``<poll>``), acknowledging each message:
        [{"id", "text", "domain", "status"}] — transfers completed, rejected or cancelled."""
        messages: list[dict[str, str]] = []
        with session(config, secrets, "ob-poll") as epp:
            for _n in range(limit):
                result = epp.command(lambda command: _sub(command, EPP, "poll", op="req"))
                if result.code == 1300:
                    break
                if result.code != 1301 or result.queue is None:
                    raise result.error("poll")
                message_id = result.queue.get("id", "")
                messages.append(
                    {
                        "id": message_id,
                        "text": _text(result.queue, "epp:msg"),
                        "domain": _text(result.data, "domain:trnData/domain:name").lower(),
                        "status": _text(result.data, "domain:trnData/domain:trStatus"),
                    }
                )
                ack = epp.command(lambda command, i=message_id: _sub(command, EPP, "poll", op="ack", msgID=i))
                if not ack.ok:
                    raise ack.error("poll ack")
        return messages

    @staticmethod
    def _restore(epp: Session, domain: str, info: dict[str, Any]) -> None:
        """RFC 3915: a domain deleted at the registry and held in redemption is restored (a
        ``<domain:update>`` with ``<rgp:restore op="request">``), then the restore report the
        registry requires is sent (``op="report"``). A domain not in redemption is left alone."""
        if "redemptionPeriod" not in info["rgp"] and "pendingRestore" not in info["rgp"]:
            return
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S.0Z")

        def name(e: ET.Element) -> None:
            _sub(e, DOMAIN, "name", domain)
            _sub(e, DOMAIN, "chg")

        if "redemptionPeriod" in info["rgp"]:
            result = epp.object_command(
                "update",
                DOMAIN,
                name,
                extension=lambda x: _sub(_sub(x, RGP, "update"), RGP, "restore", op="request"),
            )
            if not result.ok:
                raise result.error(f"restore {domain}")

        def report(x: ET.Element) -> None:
            restore = _sub(_sub(x, RGP, "update"), RGP, "restore", op="report")
            element = _sub(restore, RGP, "report")
            _sub(element, RGP, "preData", f"{domain} registered by this registrar until {info['expires'][:10]}")
            _sub(element, RGP, "postData", f"{domain} restored for the same registrant")
            _sub(element, RGP, "delTime", now)
            _sub(element, RGP, "resTime", now)
            _sub(element, RGP, "resReason", "Registrant error.")
            _sub(element, RGP, "statement", "This registrar has not restored the domain for a third party.")
            _sub(element, RGP, "statement", "The information in this report is true to the best of our knowledge.")

        result = epp.object_command("update", DOMAIN, name, extension=report)
        if not result.ok:
            raise result.error(f"restore report {domain}")

    def prolong(self, spec: ServiceSpec) -> dict[str, Any]:
        """``<renew>`` from the expiry the registry last reported. With the ``restore`` parameter
        (a domain in redemption, the restore paid for) the domain is restored first."""
        domain = self.domain(spec)
        years = int(spec.operation_params.get("years") or spec.parameters.get("years") or 1)
        with self._session(spec) as epp:
            current = str(spec.operation_params.get("expires") or "")
            if spec.parameters.get("restore"):
                info = self._info(epp, domain)
                self._restore(epp, domain, info)
                current = info["expires"]
            if not current:
                current = self._info(epp, domain)["expires"]
            current_date = current[:10]

            def build(e: ET.Element) -> None:
                _sub(e, DOMAIN, "name", domain)
                _sub(e, DOMAIN, "curExpDate", current_date)
                _sub(e, DOMAIN, "period", str(years), unit="y")

            result = epp.object_command("renew", DOMAIN, build)
            if result.code == 2306:
                info = self._info(epp, domain)  # a repeated renewal: done if the date moved on
                if info["expires"][:10] != _add_years(current_date, years):
                    raise result.error(f"renew {domain}")
                return {"expires": info["expires"]}
            if not result.ok:
                raise result.error(f"renew {domain}")
            expires = _date(_text(result.data, "domain:renData/domain:exDate"))
        return {"expires": expires}

    def close(self, spec: ServiceSpec) -> dict[str, Any]:
        domain = self.domain(spec)
        with self._session(spec) as epp:
            result = epp.object_command("delete", DOMAIN, lambda e: _sub(e, DOMAIN, "name", domain))
            if result.code == 2201:
                # Another registrar's (a transfer that never went through, or one away): not
                # ours to delete; the service ends here.
                return {"remote_id": ""}
            if not result.ok and result.code != 2303:  # 2303: already gone
                raise result.error(f"delete {domain}")
        return {"remote_id": ""}

    def suspend(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}  # a registered domain stays registered; the paid period is what counts

    def resume(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}

    def set_params(self, spec: ServiceSpec) -> dict[str, Any]:
        """A reconfiguration of a domain: new name servers (``operation_params["ns"]``)."""
        if "ns" in spec.operation_params:
            return self.update_ns(spec)
        if "roles" in spec.operation_params:
            return self.update_roles(spec)
        if "contacts" in spec.operation_params:
            return self.update_contacts(spec)
        return {}

    def update_roles(self, spec: ServiceSpec) -> dict[str, Any]:
        """Put other contacts on the domain (``operation_params["roles"]``: role → handle; the
        contacts' data in ``["contacts"]`` creates those the registry lacks): one
        ``<domain:update>`` removing the old role holders, adding the new and changing the
        registrant. A repeat finds nothing left to change."""
        domain = self.domain(spec)
        wanted = {str(role): str(handle) for role, handle in (spec.operation_params.get("roles") or {}).items()}
        with self._session(spec) as epp:
            self._ensure_contacts(epp, {c["handle"]: c for c in spec.operation_params.get("contacts") or []})
            info = self._info(epp, domain)
            current = dict(info["contacts"])
            add = {r: h for r, h in wanted.items() if r in CONTACT_ROLES and current.get(r) != h}
            rem = {r: h for r, h in current.items() if r in CONTACT_ROLES and wanted.get(r) != h}
            owner = wanted.get("owner", "")
            if not add and not rem and (not owner or owner == info["registrant"]):
                return {"contacts": wanted}

            def build(e: ET.Element) -> None:
                _sub(e, DOMAIN, "name", domain)
                if add:
                    element = _sub(e, DOMAIN, "add")
                    for role, handle in add.items():
                        _sub(element, DOMAIN, "contact", handle, type=role)
                if rem:
                    element = _sub(e, DOMAIN, "rem")
                    for role, handle in rem.items():
                        _sub(element, DOMAIN, "contact", handle, type=role)
                if owner and owner != info["registrant"]:
                    _sub(_sub(e, DOMAIN, "chg"), DOMAIN, "registrant", owner)

            result = epp.object_command("update", DOMAIN, build)
            if not result.ok:
                raise result.error(f"update {domain} contacts")
        return {"contacts": wanted}

    def update_contacts(self, spec: ServiceSpec) -> dict[str, Any]:
        """Send changed contacts (``operation_params["contacts"]``: their registry data) to the
        registry with ``<contact:update>``; a contact the registry lacks is created."""
        updated = []
        with self._session(spec) as epp:
            for contact in spec.operation_params.get("contacts") or []:
                handle = str(contact["handle"])

                def build(e: ET.Element, c: dict[str, Any] = contact, h: str = handle) -> None:
                    _sub(e, CONTACT, "id", h)
                    chg = _sub(e, CONTACT, "chg")
                    postal = _sub(chg, CONTACT, "postalInfo", type="int")
                    _sub(postal, CONTACT, "name", str(c.get("name", "")))
                    if c.get("org"):
                        _sub(postal, CONTACT, "org", str(c["org"]))
                    addr = _sub(postal, CONTACT, "addr")
                    _sub(addr, CONTACT, "street", str(c.get("street", "")))
                    _sub(addr, CONTACT, "city", str(c.get("city", "")))
                    _sub(addr, CONTACT, "cc", str(c.get("country", "")))
                    if c.get("phone"):
                        _sub(chg, CONTACT, "voice", str(c["phone"]))
                    _sub(chg, CONTACT, "email", str(c.get("email", "")))

                result = epp.object_command("update", CONTACT, build)
                if result.code == 2303:
                    self._ensure_contacts(epp, {"contact": contact})
                elif not result.ok:
                    raise result.error(f"contact update {handle}")
                updated.append(handle)
        return {"contacts": updated}

    def sync(self, spec: ServiceSpec) -> dict[str, Any]:
        return self.info(spec)

    # --- domain capabilities ------------------------------------------------------------------
    def info(self, spec: ServiceSpec) -> dict[str, Any]:
        """The registry's data of the domain (``whois`` capability)."""
        with self._session(spec) as epp:
            return self._info(epp, self.domain(spec))

    def update_ns(self, spec: ServiceSpec) -> dict[str, Any]:
        """Set the domain's name servers to ``operation_params["ns"]`` (or the parameter)."""
        domain = self.domain(spec)
        hosts = parse_ns(spec.operation_params.get("ns", spec.parameters.get("ns")))
        with self._session(spec) as epp:
            self._ensure_hosts(epp, hosts, domain)
            current = self._info(epp, domain)["ns"]
            self._set_ns(epp, domain, current, [h for h, _a in hosts])
            return {"ns": self._info(epp, domain)["ns"]}

    def get_auth_code(self, spec: ServiceSpec) -> str:
        return str(self.info(spec)["auth_code"])

    def check_domains(
        self, config: dict[str, Any], secrets: dict[str, Any], names: list[str]
    ) -> dict[str, dict[str, Any]]:
        """``<check>``: name → {"available": bool, "reason": str}."""
        if not names:
            return {}
        with session(config, secrets, "ob-check") as epp:

            def build(e: ET.Element) -> None:
                for name in names:
                    _sub(e, DOMAIN, "name", name)

            result = epp.object_command("check", DOMAIN, build)
            if not result.ok:
                raise result.error("check")
            answer: dict[str, dict[str, Any]] = {}
            for cd in result.data.findall("domain:chkData/domain:cd", NS) if result.data is not None else []:
                name = cd.find("domain:name", NS)
                if name is None:
                    continue
                answer[(name.text or "").strip().lower()] = {
                    "available": name.get("avail") in ("1", "true"),
                    "reason": _text(cd, "domain:reason"),
                }
            return answer

    def check_connection(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        with session(config, secrets, "ob-hello") as epp:
            result = epp.command(lambda command: _sub(command, EPP, "poll", op="req"))
            return {"logged_in": True, "poll": result.code}
