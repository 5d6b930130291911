"""Documents as PDF (WeasyPrint), in the language of the client they were issued to.

A QR code carries the verification data: for a Spanish seller in VeriFactu's format (the tax
agency's check URL with NIF, number, date and total), otherwise the number, date, total and the
record's hash. Sending records to a tax agency is a later module behind ``verification_url``.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from openbill.core.money import format_money

from .models import Document, DocumentKind, TaxScheme

STYLE = Path(__file__).parent / "templates" / "invoicing" / "document.css"  # shipped with the templates
VERIFACTU_URL = "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR"


def verification_data(document: Document) -> str:
    seller = document.seller
    if seller.get("country") == "ES":
        nif = seller.get("tax_id", "")
        nif = nif[2:] if nif.upper().startswith("ES") else nif
        return f"{VERIFACTU_URL}?" + urlencode(
            {
                "nif": nif,
                "numserie": document.number,
                "fecha": document.issued_on.strftime("%d-%m-%Y"),
                "importe": f"{Decimal(document.total_amount):.2f}",
            }
        )
    return f"{document.number}|{document.issued_on.isoformat()}|{Decimal(document.total_amount):.2f} {document.currency}|{document.record_hash}"


def mention(scheme: str, country: str) -> str:
    """The legal mention a tax scheme requires on the document (in the active language)."""
    if scheme == TaxScheme.REVERSE_CHARGE:
        return _("Reverse charge: VAT to be accounted for by the recipient (Article 196 of Directive 2006/112/EC).")
    if scheme == TaxScheme.EXPORT:
        return _("Outside the scope of EU VAT (place of supply outside the EU).")
    if scheme == TaxScheme.OSS:
        return _("VAT of %(country)s charged under the One-Stop Shop scheme.") % {"country": country}
    return ""


def amount(value: Any, currency: str) -> str:
    """Documents always show the currency's minor unit ("100.00 EUR"), in the document's
    language (the active one: "100,00 EUR" in Spanish)."""
    return format_money(Decimal(value), currency, minor_unit=True)


def document_context(document: Document) -> dict[str, Any]:
    lines = list(document.lines.all())
    title = _("Invoice") if document.kind == DocumentKind.INVOICE else _("Credit note")
    qr = segno.make(verification_data(document), error="m")
    rates: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        total = rates.setdefault(Decimal(line.tax_rate), [Decimal(0), Decimal(0)])
        total[0] += line.net_amount
        total[1] += line.tax_amount
    return {
        "title": title,
        "proforma": False,
        "number": document.number,
        "issued_on": document.issued_on,
        "supplied_on": document.supplied_on,
        "seller": document.seller,
        "buyer": document.buyer,
        "corrects": document.corrects.number if document.corrects_id and document.corrects else "",
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity.normalize(),
                "discount": amount(line.discount_amount, document.currency) if line.discount_amount else "",
                "discount_label": line.discount_label,
                "net": amount(line.net_amount, document.currency),
                "rate": f"{Decimal(line.tax_rate).normalize():f}",
                "tax": amount(line.tax_amount, document.currency),
                "total": amount(line.total_amount, document.currency),
            }
            for line in lines
        ],
        "rates": [
            (f"{rate.normalize():f}", amount(net, document.currency), amount(tax, document.currency))
            for rate, (net, tax) in sorted(rates.items())
        ],
        "tax_name": document.tax_name,
        "net": amount(document.net_amount, document.currency),
        "tax": amount(document.tax_amount, document.currency),
        "total": amount(document.total_amount, document.currency),
        "currency": document.currency,
        "mention": mention(document.tax_scheme, document.tax_country),
        "qr_svg": qr.svg_data_uri(scale=3, border=0),
        "record_hash": document.record_hash,
    }


def render_html(context: dict[str, Any], language: str) -> str:
    with translation.override(language):
        return render_to_string("invoicing/document.html", context)


def render_pdf(context: dict[str, Any], language: str) -> bytes:
    from weasyprint import CSS, HTML  # local: a 1.2 s import, paid only by a process that renders

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress lines are noise
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    return bytes(HTML(string=render_html(context, language)).write_pdf(stylesheets=[CSS(string=STYLE.read_text())]))


def render_document(document: Document) -> bytes:
    with translation.override(document.language):
        context = document_context(document)
    return render_pdf(context, document.language)
