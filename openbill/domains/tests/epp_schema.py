"""The standard EPP XML schemas (RFC 5730–5733, RFC 3915), loaded once for the test registry.

``xsd/`` holds the schemas as the RFCs publish them: epp-1.0 and eppcom-1.0 (RFC 5730),
domain-1.0 (5731), host-1.0 (5732), contact-1.0 (5733) and rgp-1.0 (3915). Their ``<import>``
elements name only a namespace, so a resolver maps each namespace to its local file, and one
combined schema imports them all: ``<epp:command>`` carries its object element (``domain:create``)
and ``<extension>`` through ``<any processContents="lax">``, which validates an element whenever
its declaration is loaded — so object and extension elements are checked too.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

FOLDER = Path(__file__).resolve().parent / "xsd"
SCHEMAS = {  # namespace → file, in import order (eppcom before epp before the objects)
    "urn:ietf:params:xml:ns:eppcom-1.0": "eppcom-1.0.xsd",
    "urn:ietf:params:xml:ns:epp-1.0": "epp-1.0.xsd",
    "urn:ietf:params:xml:ns:host-1.0": "host-1.0.xsd",
    "urn:ietf:params:xml:ns:domain-1.0": "domain-1.0.xsd",
    "urn:ietf:params:xml:ns:contact-1.0": "contact-1.0.xsd",
    "urn:ietf:params:xml:ns:rgp-1.0": "rgp-1.0.xsd",
}
_COMBINED = (
    '<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:openbill:test:epp-all">'
    + "".join(f'<import namespace="{ns}" schemaLocation="epp-schema:{ns}"/>' for ns in SCHEMAS)
    + "</schema>"
)


class _Resolver(etree.Resolver):
    """``epp-schema:<namespace>`` → the local file of that namespace's schema."""

    def resolve(self, url: str | None, public_id: str | None, context: object) -> object:
        if url and url.startswith("epp-schema:") and url[len("epp-schema:") :] in SCHEMAS:
            path = FOLDER / SCHEMAS[url[len("epp-schema:") :]]
            return self.resolve_filename(str(path), context)
        return None


_lock = threading.Lock()
_schema: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    global _schema
    with _lock:
        if _schema is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            parser.resolvers.add(_Resolver())
            _schema = etree.XMLSchema(etree.fromstring(_COMBINED.encode(), parser))
        return _schema


def problems(frame: bytes) -> str:
    """Why ``frame`` is not a valid EPP instance, or "" when it is."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        document = etree.fromstring(frame, parser)
    except etree.XMLSyntaxError as exc:
        return f"not well-formed: {exc}"
    checker = schema()
    with _lock:  # an XMLSchema object is not safe to use from two threads at once
        if checker.validate(document):
            return ""
        return "; ".join(f"line {e.line}: {e.message}" for e in checker.error_log)


__all__ = ["problems", "schema"]
