"""The proforma of a pending order: what the invoice will say, clearly not an invoice and with
no number from a legal series. Rendered on request, never stored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from . import selectors
from .actions import _snapshot_buyer, _snapshot_seller
from .pdf import amount, mention, render_pdf


def proforma_context(order: Any, *, now: datetime) -> dict[str, Any]:
    client = order.client
    currency = order.currency
    seller = selectors.seller_of(client.provider_id)
    rows: list[dict[str, Any]] = []
    rate, name, scheme, country = Decimal(0), "", "none", ""
    for line in order.lines.select_related("service").order_by("id"):
        taxed = line.details.get("tax")
        if taxed is None:
            rows.append(
                {
                    "description": f"{line.service.name}: {line.description}",
                    "net": line.amount,
                    "tax": Decimal(0),
                    "gross": line.amount,
                    "rate": Decimal(0),
                }
            )
            continue
        rate, name, scheme, country = Decimal(taxed["rate"]), taxed["name"], taxed["scheme"], taxed["country"]
        for part in taxed["parts"]:
            rows.append(
                {
                    "description": f"{line.service.name}: {part[0]}",
                    "net": Decimal(part[1]),
                    "tax": Decimal(part[2]),
                    "gross": Decimal(part[3]),
                    "rate": rate,
                    "discount": Decimal(part[4]) if len(part) > 4 else Decimal(0),
                    "code": taxed.get("promo_code", ""),
                }
            )
    net = sum((r["net"] for r in rows), Decimal(0))
    tax = sum((r["tax"] for r in rows), Decimal(0))
    return {
        "title": _("Proforma"),
        "proforma": True,
        "number": "",
        "issued_on": now.date(),
        "supplied_on": None,
        "seller": _snapshot_seller(seller) if seller else {"legal_name": client.provider.name},
        "buyer": _snapshot_buyer(client, selectors.billing_profile(client)),
        "corrects": "",
        "lines": [
            {
                "description": r["description"],
                "quantity": 1,
                "net": amount(r["net"], currency),
                "discount": amount(r["discount"], currency) if r.get("discount") else "",
                "discount_label": r.get("code", ""),
                "rate": f"{r['rate'].normalize():f}",
                "tax": amount(r["tax"], currency),
                "total": amount(r["gross"], currency),
            }
            for r in rows
        ],
        "rates": [(f"{rate.normalize():f}", amount(net, currency), amount(tax, currency))],
        "tax_name": name,
        "net": amount(net, currency),
        "tax": amount(tax, currency),
        "total": amount(net + tax, currency),
        "currency": currency,
        "mention": mention(scheme, country),
        "qr_svg": "",
        "record_hash": "",
    }


def proforma_pdf(order: Any, *, now: datetime) -> bytes:
    language = order.client.mail_language
    with translation.override(language):
        context = proforma_context(order, now=now)
    return render_pdf(context, language)
