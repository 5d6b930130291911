"""Writing invoices, credit notes and billing profiles.

An invoice is issued in the transaction that credits a payment (``issue_payment_invoice``,
called by ``payments``), a credit note in the one that completes a refund
(``issue_credit_note``). Both take their number from their series under the series' row lock,
so numbers are gap-free (a rolled-back or killed transaction takes its number with it) and
unique (the lock, and a unique constraint as the backstop).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from babel import Locale
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from openbill.billing.models import Expense
from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.timeutil import local_date

from . import selectors, tax
from .models import (
    BillingProfile,
    BuyerKind,
    Document,
    DocumentKind,
    DocumentLine,
    SellerProfile,
    Series,
    SeriesCounter,
    VatStatus,
)
from .tasks import check_vat_number_task, deliver_document_task
from .tax import EU_COUNTRIES

log = logging.getLogger(__name__)

GENESIS = "0" * 64
VAT_PREFIX = {"GR": "EL"}  # Greece's VAT numbers start with EL


# --- billing profile ---------------------------------------------------------------------------


def countries() -> dict[str, str]:
    """ISO 3166 codes and their names in the active language."""
    try:
        locale = Locale.parse(translation.get_language() or "en", sep="-")
    except (ValueError, TypeError):
        locale = Locale("en")
    return {code: name for code, name in locale.territories.items() if len(code) == 2 and code.isalpha()}


def clean_vat_number(value: str, country: str) -> str:
    """The number in its compact form with its country prefix, checked offline (format and
    check digit, python-stdnum); a 400 naming ``vat_number`` otherwise."""
    raw = "".join(value.split()).upper().replace("-", "").replace(".", "")
    if not raw:
        return ""
    if country in EU_COUNTRIES:
        prefix = VAT_PREFIX.get(country, country)
        if not raw.startswith(prefix):
            raw = prefix + raw
        try:
            return str(eu_vat.validate(raw))
        except StdnumError:
            raise DomainError(
                _("This is not a valid VAT number of %(country)s.") % {"country": country}, field="vat_number"
            ) from None
    return raw[:20]


def save_billing_profile(client: Any, data: dict[str, Any], *, actor: Actor, now: datetime) -> BillingProfile:
    """Create or change the client's billing profile. A new EU VAT number is checked at once
    offline and queued for VIES; until VIES confirms it the client is taxed as a person."""
    kind = str(data.get("kind") or BuyerKind.PERSON)
    if kind not in BuyerKind.values:
        raise DomainError(_("Choose person or company."), field="kind")
    legal_name = str(data.get("legal_name") or "").strip()
    if not legal_name:
        raise DomainError(_("Enter the name on your invoices."), field="legal_name")
    address = str(data.get("address") or "").strip()
    if not address:
        raise DomainError(_("Enter the address."), field="address")
    country = str(data.get("country") or "").strip().upper()
    if country not in countries():
        raise DomainError(_("Choose a country."), field="country")
    region = str(data.get("region") or "").strip()[:40]
    vat_number = clean_vat_number(str(data.get("vat_number") or ""), country)
    if kind == BuyerKind.COMPANY and country in EU_COUNTRIES and not vat_number:
        # Without a number an EU company is taxed as a person; that is allowed, not an error.
        pass
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().filter(client=client).first()
        changed_number = profile is None or profile.vat_number != vat_number or profile.country != country
        if profile is None:
            profile = BillingProfile(client=client)
        profile.kind = kind
        profile.legal_name = legal_name[:200]
        profile.address = address
        profile.country = country
        profile.region = region
        profile.updated_at = now
        if changed_number:
            profile.vat_number = vat_number
            profile.vat_checked_at = None
            profile.vat_consultation = ""
            profile.vat_answer = {}
            needs_vies = bool(vat_number) and country in EU_COUNTRIES
            profile.vat_status = VatStatus.UNVERIFIED if needs_vies else VatStatus.NONE
        profile.save()
        if changed_number and profile.vat_status == VatStatus.UNVERIFIED:
            profile_id = profile.pk
            transaction.on_commit(lambda: check_vat_number_task.enqueue(profile_id))
    log.info("billing profile of client %s saved by %s", client.pk, actor)
    return profile


# --- numbering and the chain ---------------------------------------------------------------------


def series_for(provider_id: int, kind: str) -> Series:
    series = Series.objects.filter(provider_id=provider_id, kind=kind, active=True).first()
    if series is not None:
        return series
    default = "{year}-{seq:06d}" if kind == DocumentKind.INVOICE else "R{year}-{seq:06d}"
    try:
        with transaction.atomic():
            return Series.objects.create(provider_id=provider_id, kind=kind, number_format=default)
    except IntegrityError:
        return Series.objects.get(provider_id=provider_id, kind=kind, active=True)


def canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def document_fields(document: Document, lines: list[DocumentLine]) -> dict[str, Any]:
    """What the hash covers: every field a tax office reads, and the previous record's hash."""
    return {
        "kind": document.kind,
        "number": document.number,
        "issued_on": document.issued_on.isoformat(),
        "supplied_on": document.supplied_on.isoformat(),
        "seller_tax_id": document.seller.get("tax_id", ""),
        "buyer": [document.buyer.get("legal_name", ""), document.buyer.get("country", "")],
        "buyer_vat": document.buyer.get("vat_number", ""),
        "currency": document.currency,
        "net": f"{Decimal(document.net_amount):.2f}",
        "tax": f"{Decimal(document.tax_amount):.2f}",
        "total": f"{Decimal(document.total_amount):.2f}",
        "rate": f"{Decimal(document.tax_rate):.2f}",
        "scheme": document.tax_scheme,
        "corrects": document.corrects.number if document.corrects_id and document.corrects else "",
        "lines": [
            [
                line.description,
                f"{Decimal(line.net_amount):.2f}",
                f"{Decimal(line.tax_amount):.2f}",
                f"{Decimal(line.total_amount):.2f}",
            ]
            for line in lines
        ],
        "previous": document.previous_hash,
    }


def record_hash(document: Document, lines: list[DocumentLine]) -> str:
    return hashlib.sha256(canonical(document_fields(document, lines)).encode()).hexdigest()


def _snapshot_seller(seller: SellerProfile) -> dict[str, str]:
    return {
        "legal_name": seller.legal_name,
        "address": seller.address,
        "country": seller.country,
        "tax_id": seller.tax_id,
        "registration": seller.registration,
        "logo_svg": seller.logo_svg,
    }


def _snapshot_buyer(client: Any, profile: BillingProfile | None) -> dict[str, str]:
    if profile is None:
        return {
            "legal_name": client.name,
            "address": "",
            "country": "",
            "region": "",
            "kind": "person",
            "vat_number": "",
            "vat_status": VatStatus.NONE,
            "vat_consultation": "",
            "email": client.email,
        }
    return {
        "legal_name": profile.legal_name,
        "address": profile.address,
        "country": profile.country,
        "region": profile.region,
        "kind": profile.kind,
        "vat_number": profile.vat_number,
        "vat_status": profile.vat_status,
        "vat_consultation": profile.vat_consultation,
        "email": client.email,
    }


def _issue(
    *,
    client: Any,
    seller: SellerProfile,
    kind: str,
    key: str,
    how: tax.Treatment,
    lines: list[dict[str, Any]],
    now: datetime,
    payment_id: int | None = None,
    refund_id: int | None = None,
    corrects: Document | None = None,
    buyer: dict[str, str] | None = None,
    supplied_on: date | None = None,
) -> Document:
    """Write one document under its series' lock. The caller holds a transaction."""
    assert transaction.get_connection().in_atomic_block
    existing = Document.objects.filter(key=key).first()
    if existing is not None:
        return existing
    series = Series.objects.select_for_update().get(pk=series_for(client.provider_id, kind).pk)
    existing = Document.objects.filter(key=key).first()  # issued while we waited for the lock
    if existing is not None:
        return existing
    today = local_date(now, client.provider.tz)
    year = today.year if series.yearly else 0
    counter, _created = SeriesCounter.objects.get_or_create(series=series, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    previous = Document.objects.filter(series=series).order_by("-pk").values_list("record_hash", flat=True).first()
    document = Document(
        provider_id=client.provider_id,
        client=client,
        kind=kind,
        series=series,
        year=year,
        sequence=counter.last,
        number=series.format_number(year=today.year, seq=counter.last),
        key=key,
        payment_id=payment_id,
        refund_id=refund_id,
        corrects=corrects,
        issued_at=now,
        issued_on=today,
        supplied_on=supplied_on or today,
        currency=client.currency,
        net_amount=sum((line["net"] for line in lines), Decimal(0)),
        tax_amount=sum((line["tax"] for line in lines), Decimal(0)),
        total_amount=sum((line["gross"] for line in lines), Decimal(0)),
        tax_rate=how.rate,
        tax_name=how.name,
        tax_scheme=how.scheme,
        tax_country=how.country,
        language=client.mail_language,
        seller=_snapshot_seller(seller),
        buyer=buyer if buyer is not None else _snapshot_buyer(client, selectors.billing_profile(client)),
        previous_hash=previous or GENESIS,
    )
    rows = [
        DocumentLine(
            position=position,
            description=line["description"][:300],
            service_id=line.get("service_id"),
            period_start=line.get("period_start"),
            period_end=line.get("period_end"),
            discount_amount=line.get("discount", Decimal(0)),
            discount_label=line.get("discount_label", ""),
            net_amount=line["net"],
            tax_rate=how.rate,
            tax_amount=line["tax"],
            total_amount=line["gross"],
        )
        for position, line in enumerate(lines, start=1)
    ]
    document.record_hash = record_hash(document, rows)
    document.save()
    for row in rows:
        row.document = document
    DocumentLine.objects.bulk_create(rows)
    document_id = document.pk
    transaction.on_commit(lambda: _deliver_later(document_id))
    return document


def _deliver_later(document_id: int) -> None:
    deliver_document_task.enqueue(document_id)


# --- invoices and credit notes -------------------------------------------------------------------


def _order_lines(payment: Any, ordered: list[dict[str, Any]]) -> tuple[tax.Treatment, list[dict[str, Any]]] | None:
    """The order's lines as taxed when ordered, if this payment pays exactly that order.
    ``ordered``: ``orders.selectors.invoice_lines`` of the payment's order (service id and name,
    the tax fixed when ordered), handed in by ``payments`` so invoicing never reads orders."""
    taxes = [line["tax"] for line in ordered]
    if not ordered or any(t is None for t in taxes):
        return None
    if sum((Decimal(p[3]) for t in taxes for p in t["parts"]), Decimal(0)) != payment.amount:
        return None
    first = taxes[0]
    how = tax.Treatment(first["scheme"], Decimal(first["rate"]), first["name"], first["country"])
    rows = [
        {
            "description": f"{line['service_name']}: {part[0]}",
            "service_id": line["service_id"],
            "net": Decimal(part[1]),
            "tax": Decimal(part[2]),
            "gross": Decimal(part[3]),
            "discount": Decimal(part[4]) if len(part) > 4 else Decimal(0),
            "discount_label": line["tax"].get("promo_code", ""),
        }
        for line in ordered
        for part in line["tax"]["parts"]
    ]
    return how, rows


def _line(description: str, part: tax.LineTax) -> dict[str, Any]:
    return {"description": description, "net": part.net, "tax": part.tax, "gross": part.gross}


def issue_payment_invoice(
    payment: Any, *, now: datetime, ordered: list[dict[str, Any]] | None = None
) -> Document | None:
    """The invoice for money received (called in the transaction that credits it): the order's
    lines when the payment pays exactly one order, else one "advance payment" line whose tax is
    due now (EU VAT Directive art. 65). None when the provider issues no invoices."""
    client = payment.client
    seller = selectors.seller_of(client.provider_id)
    if seller is None or selectors.postpaid(client, local_date(now, client.provider.tz)):
        return None  # a post-paid client's charges are invoiced at the month's end instead
    with translation.override(client.mail_language):
        from_order = _order_lines(payment, ordered or [])
        if from_order is not None:
            how, lines = from_order
        else:
            how = selectors.treatment(client, on=now)
            part = tax.split(payment.amount, how, client.currency, gross=True)
            lines = [
                _line(_("Advance payment (payment #%(id)s)") % {"id": payment.pk}, part),
            ]
        return _issue(
            client=client,
            seller=seller,
            kind=DocumentKind.INVOICE,
            key=f"payment:{payment.pk}",
            how=how,
            lines=lines,
            now=now,
            payment_id=payment.pk,
        )


def issue_credit_note(refund: Any, *, now: datetime) -> Document | None:
    """The credit note for money returned (a completed refund), referring to the invoice of the
    payment it returns, at that invoice's rate. None when that payment has no invoice."""
    payment = refund.payment
    invoice = Document.objects.filter(kind=DocumentKind.INVOICE, payment_id=payment.pk).order_by("pk").first()
    if invoice is None:
        return None
    client = payment.client
    seller = SellerProfile.objects.get(provider_id=client.provider_id)
    how = tax.Treatment(invoice.tax_scheme, invoice.tax_rate, invoice.tax_name, invoice.tax_country)
    part = tax.split(-refund.amount, how, client.currency, gross=True)
    with translation.override(invoice.language):
        reason = _("Refund of invoice %(number)s: %(reason)s") % {"number": invoice.number, "reason": refund.reason}
        line = _line(reason, part)
    with transaction.atomic():
        return _issue(
            client=client,
            seller=seller,
            kind=DocumentKind.CREDIT_NOTE,
            key=f"refund:{refund.pk}",
            how=how,
            lines=[line],
            now=now,
            payment_id=payment.pk,
            refund_id=refund.pk,
            corrects=invoice,
            buyer=invoice.buyer,
        )


def issue_balance_credit_note(expense: Expense, *, now: datetime) -> Document | None:
    """The credit note for money returned to the balance (a negative charge: a service deleted
    with its unused time refunded, a registry's refusal, a cheaper change), in the transaction
    that credits it (``billing.actions.credit_documents``). It corrects the latest invoice with
    a line for the service, for the amount returned up to what of that line is not credited
    yet, split at that invoice's rate. None when no invoice carries the service (paid from a
    top-up: the money stays an advance its invoice already taxed), or for a post-paid client
    whose service has a charge not invoiced yet (the refund is a line of the month's invoice)."""
    if expense.amount >= 0 or selectors.seller_of(expense.client.provider_id) is None:
        return None
    client = expense.client
    tz = client.provider.tz
    if selectors.postpaid(client, local_date(now, tz)):
        open_since = local_date(now, tz).replace(day=1)
        uninvoiced = Expense.objects.filter(
            service_id=expense.service_id, amount__gt=0, created_at__gte=datetime.combine(open_since, time(), tz)
        )
        if uninvoiced.exists():
            return None
    found = selectors.invoice_of_service(expense.service_id)
    if found is None or found[1] <= 0:
        return None
    invoice, open_amount = found
    amount = min(-expense.amount, open_amount)
    how = tax.Treatment(invoice.tax_scheme, invoice.tax_rate, invoice.tax_name, invoice.tax_country)
    part = tax.split(-amount, how, client.currency, gross=True)
    with translation.override(invoice.language):
        description = _("%(service)s: returned to the balance (invoice %(number)s)") % {
            "service": expense.service.name,
            "number": invoice.number,
        }
    line = {**_line(description, part), "service_id": expense.service_id}
    return _issue(
        client=client,
        seller=SellerProfile.objects.get(provider_id=client.provider_id),
        kind=DocumentKind.CREDIT_NOTE,
        key=f"{selectors.CREDITED_KEY}{expense.pk}",
        how=how,
        lines=[line],
        now=now,
        corrects=invoice,
        buyer=invoice.buyer,
    )


def issue_period_invoice(due: selectors.PeriodDue, *, now: datetime) -> Document | None:
    """A post-paid client's invoice of a closed month: one line per charge (and per amount
    returned in it), each taxed once at the client's treatment on the month's last day; its
    supply date is that day. Keyed by client and month: a second run returns the first."""
    client = due.client
    seller = selectors.seller_of(client.provider_id)
    if seller is None:
        return None
    how = selectors.treatment(client, on=due.end)
    tz = client.provider.tz
    with translation.override(client.mail_language):
        lines = [
            {
                **_line(
                    f"{charge.service.name}: {charge.get_kind_display()}",
                    tax.split(charge.amount, how, client.currency, gross=True),
                ),
                "service_id": charge.service_id,
                "period_start": local_date(charge.period_start, tz) if charge.period_start else None,
                "period_end": local_date(charge.period_end, tz) if charge.period_end else None,
            }
            for charge in due.charges
        ]
    with transaction.atomic():
        return _issue(
            client=client,
            seller=seller,
            kind=DocumentKind.INVOICE,
            key=due.key,
            how=how,
            lines=lines,
            now=now,
            supplied_on=due.end,
        )


def issue_period_invoices(*, now: datetime) -> list[str]:
    """The period sweep: each post-paid client's closed month, one transaction per client.
    Idempotent: a month invoiced once is not due again (and its key backs that up)."""
    issued = []
    for due in selectors.period_invoices_due(now):
        document = issue_period_invoice(due, now=now)
        if document is not None:
            issued.append(document.number)
    return issued
