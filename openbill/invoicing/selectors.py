"""Reads: a client's tax treatment, the price breakdown shown before paying, documents."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When

from openbill.billing.models import Expense, ExpenseKind
from openbill.clients.models import Client
from openbill.core.money import round_amount
from openbill.core.timeutil import local_date

from . import tax
from .models import (
    BillingProfile,
    DiscountScope,
    Document,
    DocumentKind,
    DocumentLine,
    PromoCode,
    PromoUse,
    SellerProfile,
    TaxRule,
    VatStatus,
)
from .promo import recurring_off, renewal_discount
from .tax import LineTax, Treatment


def seller_of(provider: Any) -> SellerProfile | None:
    """The provider's legal details, or None: then it issues no documents and charges no tax."""
    return SellerProfile.objects.filter(provider_id=getattr(provider, "pk", provider)).first()


def billing_profile(client: Any) -> BillingProfile | None:
    return BillingProfile.objects.filter(client_id=getattr(client, "pk", client)).first()


def billing_profile_initial(client: Any, profile: BillingProfile | None) -> dict[str, str]:
    """What the billing profile form shows: the profile, else a person named as the account."""
    if profile is None:
        return {"kind": "person", "legal_name": client.name}
    fields = ("kind", "legal_name", "address", "country", "region", "vat_number")
    return {name: getattr(profile, name) for name in fields}


def postpaid(client: Any, on: date) -> bool:
    """Post-paid on ``on``: staff set ``postpaid_since`` on or before that day. Its charges are
    invoiced at each month's end (``period_invoices_due``), its payments get no invoice."""
    since = BillingProfile.objects.filter(client_id=getattr(client, "pk", client)).values_list(
        "postpaid_since", flat=True
    )
    return any(day is not None and day <= on for day in since)


def issues_invoices(client: Any) -> bool:
    return seller_of(client.provider_id) is not None


def needs_billing_profile(client: Any) -> bool:
    """A client of an invoicing provider must say who it is before its first payment."""
    return issues_invoices(client) and billing_profile(client) is None


def rules_of(provider_id: int) -> list[tax.Rule]:
    return [
        tax.Rule(r.country, r.region, r.buyer_kind, r.rate, r.name, r.valid_from)
        for r in TaxRule.objects.filter(provider_id=provider_id)
    ]


def treatment(client: Any, *, on: date | datetime) -> tax.Treatment:
    """The tax the client's purchases carry on ``on`` (no seller details: none)."""
    if not isinstance(on, datetime):
        on = datetime.combine(on, time(12), tzinfo=client.provider.tz)
    return treatments_of([client], on=on)[client.pk]


@dataclass(frozen=True)
class Breakdown:
    """Net, tax and total of a sale as shown before the client pays (and as invoiced)."""

    currency: str
    net: Decimal
    tax: Decimal
    total: Decimal
    rate: Decimal
    name: str
    scheme: str
    country: str
    parts: tuple[LineTax, ...]

    @classmethod
    def of(cls, parts: tuple[LineTax, ...], how: Treatment, currency: str) -> Breakdown:
        """The sums of lines each taxed (and rounded) once under ``how``."""
        return cls(
            currency=currency,
            net=sum((p.net for p in parts), Decimal(0)),
            tax=sum((p.tax for p in parts), Decimal(0)),
            total=sum((p.gross for p in parts), Decimal(0)),
            rate=how.rate,
            name=how.name,
            scheme=how.scheme,
            country=how.country,
            parts=parts,
        )

    @property
    def taxed(self) -> bool:
        return self.tax != 0 or self.rate != 0


def breakdown(
    client: Any, amounts: list[Decimal], *, now: datetime, gross: bool | None = None, how: tax.Treatment | None = None
) -> Breakdown:
    """Each amount taxed as its own line (rounded once), and the sums."""
    how = how or treatment(client, on=now)
    return Breakdown.of(
        tuple(tax.split(amount, how, client.currency, gross=gross) for amount in amounts), how, client.currency
    )


def charge_amount(client: Any, amount: Decimal, *, now: datetime) -> Decimal:
    """What the client pays for a catalog price: the price plus its tax (or the price itself
    when prices include tax)."""
    return tax.split(amount, treatment(client, on=now), client.currency).gross


def renewal_charge(service: Any, amount: Decimal, *, now: datetime) -> Decimal:
    """What renewing ``service`` at the catalog price ``amount`` takes from the balance: the
    price rounded, a recurring promo code's discount taken off, then its tax (the one rule
    for a renewal's price: renew_service charges it, Extend quotes it, and the low-balance
    notices and ``openbill preview`` announce it through ``renewal_charges``)."""
    return charge_amount(service.client, renewal_net(service, amount, now=now), now=now)


def renewal_net(service: Any, amount: Decimal, *, now: datetime) -> Decimal:
    """A renewal's price before tax: ``amount`` rounded, less a recurring promo code's discount
    (what ``renewal_charge`` taxes, and what the charge's parts split)."""
    return round_amount(amount, service.client.currency) - renewal_discount(service, amount, now=now)


def renewal_charges(items: Iterable[tuple[int, int, Decimal]], *, now: datetime) -> dict[int, Decimal]:
    """``renewal_charge`` for many services from a few queries. ``items`` are (service id,
    client id, catalog price); the answer maps each service to what its renewal would charge."""
    items = list(items)
    clients = {c.pk: c for c in Client.objects.filter(pk__in={cid for _s, cid, _a in items}).select_related("provider")}
    treatments = treatments_of(list(clients.values()), on=now)
    uses = {
        u.service_id: u.promo
        for u in PromoUse.objects.filter(service_id__in=[sid for sid, _c, _a in items])
        .exclude(promo__scope=DiscountScope.FIRST)
        .select_related("promo")
    }
    done: dict[int, int] = {}
    if uses:
        for sid, count in (
            Expense.objects.filter(service_id__in=list(uses), kind=ExpenseKind.PERIOD)
            .exclude(key="first")
            .values("service_id")
            .annotate(n=Count("pk"))
            .values_list("service_id", "n")
        ):
            done[sid] = count
    out = {}
    for sid, cid, amount in items:
        currency = clients[cid].currency
        net = round_amount(amount, currency)
        if sid in uses:
            net -= recurring_off(uses[sid], done.get(sid, 0), amount, currency)
        out[sid] = tax.split(net, treatments[cid], currency).gross
    return out


def treatments_of(clients: list[Any], *, on: datetime) -> dict[int, tax.Treatment]:
    """``treatment`` of many clients: sellers, rules and billing profiles read once each."""
    sellers = {s.provider_id: s for s in SellerProfile.objects.filter(provider_id__in={c.provider_id for c in clients})}
    rules: dict[int, list[tax.Rule]] = {pid: [] for pid in sellers}
    for r in TaxRule.objects.filter(provider_id__in=list(sellers)):
        rules[r.provider_id].append(tax.Rule(r.country, r.region, r.buyer_kind, r.rate, r.name, r.valid_from))
    profiles = {p.client_id: p for p in BillingProfile.objects.filter(client_id__in=[c.pk for c in clients])}
    out = {}
    for client in clients:
        seller = sellers.get(client.provider_id)
        if seller is None:
            out[client.pk] = tax.NO_TAX
            continue
        profile = profiles.get(client.pk)
        out[client.pk] = tax.resolve(
            seller_country=seller.country,
            oss=seller.oss_registered,
            prices_include_tax=seller.prices_include_tax,
            rules=rules[seller.provider_id],
            buyer_country=profile.country if profile else seller.country,
            buyer_region=profile.region if profile else "",
            buyer_kind=profile.kind if profile else "person",
            vat_verified=bool(profile and profile.vat_status == VatStatus.VALID),
            on=local_date(on, client.provider.tz),
        )
    return out


# --- money returned to a balance, and post-paid periods -----------------------------------------

CREDITED_KEY = "expense:"  # a credit note of money returned to a balance: expense:<expense id>
PERIOD_KEY = "period:"  # a post-paid period's invoice: period:<client id>:<YYYY-MM>


def invoice_of_service(service_id: int) -> tuple[Document, Decimal] | None:
    """The latest invoice with a line for the service, and what of that line is not credited
    yet (gross): the invoice a refund of its charge to the balance corrects."""
    invoice = Document.objects.filter(kind=DocumentKind.INVOICE, lines__service_id=service_id).order_by("-pk").first()
    if invoice is None:
        return None
    invoiced = DocumentLine.objects.filter(document=invoice, service_id=service_id).aggregate(t=Sum("total_amount"))
    credited = DocumentLine.objects.filter(
        document__corrects=invoice, document__kind=DocumentKind.CREDIT_NOTE, service_id=service_id
    ).aggregate(t=Sum("total_amount"))
    return invoice, (invoiced["t"] or Decimal(0)) + (credited["t"] or Decimal(0))


@dataclass(frozen=True)
class PeriodDue:
    """A post-paid client's closed month not invoiced yet: its charges (and the money returned
    in it that no credit note carries), and their sum."""

    client: Any
    start: date
    end: date
    charges: tuple[Expense, ...]

    @property
    def key(self) -> str:
        return f"{PERIOD_KEY}{self.client.pk}:{self.start:%Y-%m}"

    @property
    def total(self) -> Decimal:
        return sum((charge.amount for charge in self.charges), Decimal(0))


def closed_month(at: datetime, tz: Any) -> tuple[date, date]:
    """The last month that has ended at ``at`` on the provider's calendar: its first and last day."""
    first_of_this = local_date(at, tz).replace(day=1)
    end = first_of_this - timedelta(days=1)
    return end.replace(day=1), end


def period_due(client: Any, at: datetime) -> PeriodDue | None:
    """The invoice the period sweep would issue for ``client`` at ``at`` (None: nothing to do)."""
    profile = billing_profile(client)
    tz = client.provider.tz
    start, end = closed_month(at, tz)
    if profile is None or profile.postpaid_since is None or profile.postpaid_since > end:
        return None
    if seller_of(client.provider_id) is None:
        return None
    due = PeriodDue(client, start, end, ())
    if Document.objects.filter(key=due.key).exists():
        return None
    since = max(start, profile.postpaid_since)
    credited = [
        int(key.removeprefix(CREDITED_KEY))
        for key in Document.objects.filter(client=client, key__startswith=CREDITED_KEY).values_list("key", flat=True)
    ]
    charges = tuple(
        Expense.objects.filter(
            client=client,
            created_at__gte=datetime.combine(since, time(), tz),
            created_at__lt=datetime.combine(end + timedelta(days=1), time(), tz),
        )
        .exclude(amount=0)
        .exclude(pk__in=credited)
        .select_related("service")
        .order_by("created_at", "pk")
    )
    due = PeriodDue(client, start, end, charges)
    return due if due.total > 0 else None


def period_invoices_due(at: datetime, *, limit: int | None = None) -> list[PeriodDue]:
    """Every post-paid client's closed month still to invoice at ``at`` (the sweep and the preview)."""
    clients = Client.objects.filter(billing_profile__postpaid_since__isnull=False).select_related("provider")
    found = []
    for client in clients.order_by("pk")[:limit]:
        due = period_due(client, at)
        if due is not None:
            found.append(due)
    return found


def documents_for(client: Any) -> QuerySet[Document]:
    return Document.objects.filter(client=client).order_by("-issued_at", "-id")


def invoice_details(
    taxed: Breakdown | None, *, setup_label: str, period_label: str, discount: Any = None
) -> dict[str, Any]:
    """An order line's tax as fixed when ordered (kept in its details): the invoice of the
    payment for exactly that order copies these cents (invoicing.actions). Each part is
    ``[label, net, tax, gross, discount]``, net after the discount."""
    if taxed is None or not taxed.parts:
        return {}
    labels = [setup_label, period_label]
    discounts = discount.amounts if discount is not None else (Decimal(0),) * len(labels)
    return {
        "tax": {
            "scheme": taxed.scheme,
            "rate": str(taxed.rate),
            "name": taxed.name,
            "country": taxed.country,
            "promo_code": discount.code if discount is not None else "",
            "parts": [
                [str(label), str(part.net), str(part.tax), str(part.gross), str(off)]
                for label, part, off in zip(labels, taxed.parts, discounts, strict=True)
                if part.gross or off
            ],
        }
    }


@dataclass(frozen=True)
class DocumentFilter:
    """Staff's filters: issue dates [since, until], buyer country, rate, series."""

    since: date | None = None
    until: date | None = None
    country: str = ""
    rate: Decimal | None = None
    series: int | None = None

    @classmethod
    def parse(cls, query: Any) -> DocumentFilter:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(query.get(name, ""))
            except ValueError:
                return None

        try:
            rate = Decimal(query.get("rate", "")) if query.get("rate", "") != "" else None
        except ArithmeticError:
            rate = None
        series = query.get("series", "")
        return cls(
            since=day("since"),
            until=day("until"),
            country=query.get("country", "").strip().upper()[:2],
            rate=rate if rate is not None and rate.is_finite() else None,
            series=int(series) if series.isdigit() else None,
        )

    def apply(self, documents: QuerySet[Document]) -> QuerySet[Document]:
        if self.since:
            documents = documents.filter(issued_on__gte=self.since)
        if self.until:
            documents = documents.filter(issued_on__lte=self.until)
        if self.country:
            documents = documents.filter(buyer__country=self.country)
        if self.rate is not None:
            documents = documents.filter(tax_rate=self.rate)
        if self.series is not None:
            documents = documents.filter(series_id=self.series)
        return documents


def staff_documents(chosen: DocumentFilter) -> QuerySet[Document]:
    return chosen.apply(Document.objects.select_related("provider", "client", "series", "corrects")).order_by(
        "-issued_on", "-id"
    )


def tax_report(chosen: DocumentFilter) -> list[dict[str, Any]]:
    """Totals by provider, currency, country of taxation (the buyer's, else the seller's), scheme
    and rate over the chosen period: the figures an OSS or a VAT return asks for. Credit notes
    count negative."""
    rows = (
        chosen.apply(Document.objects.all())
        .values("provider__name", "currency", "tax_country", "tax_scheme", "tax_rate", "tax_name")
        .annotate(
            net_sum=Sum("net_amount"), tax_sum=Sum("tax_amount"), total_sum=Sum("total_amount"), documents=Count("id")
        )
        .order_by("provider__name", "currency", "tax_country", "tax_scheme", "tax_rate")
    )
    return list(rows)


def staff_promo_codes(provider: str, *, now: datetime) -> QuerySet[Any]:
    """Promo codes for staff, newest first, with ``used`` and ``active`` (enterable now)."""
    ended = Q(valid_until__isnull=False, valid_until__lte=now) | Q(valid_from__isnull=False, valid_from__gt=now)
    codes = (
        PromoCode.objects.annotate(
            used=Count("uses", distinct=True), active=Case(When(ended, then=Value(False)), default=Value(True))
        )
        .prefetch_related("tariffs", "product_types")
        .order_by("-pk")
    )
    return codes.filter(provider_id=int(provider)) if provider.isdigit() else codes


def renewals_adjusted(client_lo: int, client_hi: int) -> bool:
    """Whether tax or a promo code changes the renewal price of a client with an id in
    ``[client_lo, client_hi]``. The set-based renewal prices catalog amounts only: batches where
    this is true are renewed one by one by ``services.renewal.renew_service``, which applies
    the discount and the tax — one rule for what a renewal costs, whichever path runs it."""
    clients = Client.objects.filter(pk__gte=client_lo, pk__lte=client_hi)
    if SellerProfile.objects.filter(provider_id__in=clients.values("provider_id")).exists():
        return True
    return PromoUse.objects.filter(client__in=clients).exclude(promo__scope=DiscountScope.FIRST).exists()
