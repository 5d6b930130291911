"""Domain actions: contacts, checking names, ordering a registration or transfer, name
servers, the registration data (Whois), and what follows a domain's expiry (grace,
redemption, restore). Worker tasks call these; these never queue tasks (domains.operations
does: the views' requests that need the worker)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from openbill.billing.actions import charge_service
from openbill.billing.models import Expense, ExpenseKind
from openbill.billing.rules import REMOTE_REFUSED_KEY
from openbill.catalog.models import PeriodPrice, ProductKind
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.errors import DomainError, IllegalTransition
from openbill.core.money import Money
from openbill.core.texts import Text
from openbill.core.timeutil import PERIOD_MONTHS, add_period
from openbill.invoicing.selectors import breakdown, charge_amount, invoice_details
from openbill.orders.actions import place_order
from openbill.orders.models import OrderLine
from openbill.provisioning.models import ProvisioningTask, TaskState
from openbill.provisioning.modules import ModuleError, get_module
from openbill.provisioning.specs import service_spec
from openbill.services import actions as service_actions
from openbill.services import events
from openbill.services.choices import Operation, Status
from openbill.services.models import Service
from openbill.services.renewal import renew_service
from openbill.support.files import check_files

from . import availability, delegation
from .models import (
    MAX_YEARS,
    Action,
    ContactKind,
    Domain,
    DomainContact,
    DomainDocument,
    Phase,
    Role,
    TransferState,
    Verification,
    Zone,
    ZonePrice,
)
from .names import Name, host_ascii, parse, split_names, to_unicode

# Service periods by number of years: the renewal sweep renews by them. A longer first term
# (4-10 years, MAX_YEARS) is ordered on the yearly period: the domain's first term runs its
# years (domain_operation_done) and it renews yearly after that.
YEAR_PERIODS = {1: "year", 2: "2years", 3: "3years"}
CONTACT_FIELDS = ("kind", "name", "organisation", "street", "city", "region", "postcode", "country", "phone", "email")
NS_MIN, NS_MAX = 2, 13


# --- zones and prices -------------------------------------------------------------------------
def zones_on_sale(provider: Any) -> list[Zone]:
    return list(
        Zone.objects.filter(provider=provider, active=True, tariff__product_type__kind=ProductKind.DOMAIN)
        .select_related("module", "tariff")
        .prefetch_related("prices")
    )


def price(zone: Zone, action: str, years: int) -> Decimal:
    for row in zone.prices.all():
        if row.action == action and row.years == years:
            return row.amount
    raise DomainError(
        _("%(action)s for %(years)s year(s) is not sold in .%(zone)s.")
        % {"action": Action(action).label, "years": years, "zone": to_unicode(zone.name)},
        field="years",
    )


def set_price(zone: Zone, action: str, years: int, amount: Decimal) -> ZonePrice:
    """Set one price. Renewal prices for 1–3 years are also the zone tariff's period prices,
    which the renewal sweep charges."""
    row, _created = ZonePrice.objects.update_or_create(
        zone=zone, action=action, years=years, defaults={"amount": Decimal(amount)}
    )
    if action == Action.RENEW and years in YEAR_PERIODS:
        PeriodPrice.objects.update_or_create(
            tariff=zone.tariff, period=YEAR_PERIODS[years], defaults={"price": Decimal(amount)}
        )
    return row


def set_prices(zone: Zone, prices: dict[tuple[str, int], Decimal | None]) -> None:
    """Staff's price grid: each (action, years) set, or not sold when None. A renewal price for
    1-3 years is also the tariff's period price (what renewals charge): it may change, not go."""
    with transaction.atomic():
        for (action, years), amount in sorted(prices.items()):
            if amount is not None:
                set_price(zone, action, years, Decimal(amount))
                continue
            if (
                action == Action.RENEW
                and years in YEAR_PERIODS
                and zone.prices.filter(action=action, years=years).exists()
            ):
                raise DomainError(
                    _("The renewal price for %(years)s year(s) is what renewals charge: change it, do not remove it.")
                    % {"years": years},
                    field=f"{action}_{years}",
                )
            ZonePrice.objects.filter(zone=zone, action=action, years=years).delete()


# --- contacts ---------------------------------------------------------------------------------
def _clean_contact(contact: DomainContact) -> None:
    try:
        contact.full_clean(exclude=["client"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), field=field) from None


def create_contact(client: Client, data: dict[str, Any]) -> DomainContact:
    contact = DomainContact(client=client, **{k: str(v).strip() for k, v in data.items() if k in CONTACT_FIELDS})
    contact.country = contact.country.upper()
    _clean_contact(contact)
    contact.save()
    return contact


def update_contact(
    contact: DomainContact, data: dict[str, Any], *, actor: Actor | None = None, now: datetime | None = None
) -> DomainContact:
    """Change a contact. A person never becomes an organisation (nor back): registries treat
    them as different holders, so that is a new contact. Every registered domain that uses it
    is updated at its registrar (a reconfiguration operation each)."""
    if "kind" in data and data["kind"] != contact.kind:
        raise DomainError(
            _("A person cannot become an organisation or back: create a new contact instead."), field="kind"
        )
    for key in CONTACT_FIELDS:
        if key in data and key != "kind":
            setattr(contact, key, str(data[key]).strip())
    contact.country = contact.country.upper()
    _clean_contact(contact)
    with transaction.atomic():
        contact.save()
        if actor is not None and now is not None:
            _push_contact(contact, actor=actor, now=now)
    return contact


def _push_contact(contact: DomainContact, *, actor: Actor, now: datetime) -> None:
    data = contact.registry_data()
    uses = Q(owner=contact) | Q(admin=contact) | Q(tech=contact) | Q(billing=contact)
    for domain in Domain.objects.filter(uses).select_related("service"):
        service = service_actions.lock(domain.service_id)
        contacts = dict(service.parameters.get("contacts") or {})
        for role in Role.values:
            if getattr(domain, f"{role}_id") == contact.pk:
                contacts[role] = data
        Service.objects.filter(pk=service.pk).update(parameters={**service.parameters, "contacts": contacts})
        if service.status in (Status.ACTIVE, Status.SUSPENDED) and not service.operation:
            service_actions.start_operation(
                service, "reconfiguration", actor=actor, now=now, params={"contacts": [data]}
            )


def can_replace_contacts(service: Service) -> bool:
    """A domain's contacts are replaced only while it is being processed (ordered, its
    registration or transfer not done yet) or stopped (suspended, nothing else under way)."""
    if service.status == Status.ORDERED:
        return True
    return service.status == Status.SUSPENDED and not service.operation


def replace_contacts(domain: Domain, contacts: dict[str, Any], *, actor: Actor, now: datetime) -> Domain:
    """Put other contacts of the client on the domain (owner mandatory). Before registration
    they are only kept (the registration sends them); a stopped domain's change goes to the
    registrar (a reconfiguration: contacts created there as needed, the domain updated)."""
    with transaction.atomic():
        service = service_actions.lock(domain.service_id)
        if not can_replace_contacts(service):
            raise IllegalTransition(
                _("A domain's contacts are replaced only while it is being processed or stopped (suspended).")
            )
        client = service.client
        chosen = {role: _contact(client, contacts.get(role), role, required=role == Role.OWNER) for role in Role.values}
        data = {role: c.registry_data() for role, c in chosen.items() if c is not None}
        if service.status == Status.SUSPENDED:
            service_actions.start_operation(
                service,
                "reconfiguration",
                actor=actor,
                now=now,
                params={
                    "roles": {role: item["handle"] for role, item in data.items()},
                    "contacts": list(data.values()),
                },
            )
        Service.objects.filter(pk=service.pk).update(parameters={**service.parameters, "contacts": data})
        Domain.objects.filter(pk=domain.pk).update(**{role: chosen[role] for role in Role.values})
        events.record(
            service,
            "parameters changed",
            actor=actor,
            now=now,
            note=Text(
                "texts",
                items=[
                    Text("domain_contact", role=role, contact=str(c)) for role, c in chosen.items() if c is not None
                ],
            ),
        )
    domain.refresh_from_db()
    return domain


# --- checking ---------------------------------------------------------------------------------
def parse_names(provider: Any, text: str) -> tuple[list[Name], list[tuple[str, str]]]:
    """The names typed, parsed; and the refused ones with the reason."""
    zones = zones_on_sale(provider)
    default = zones[0] if len(zones) == 1 else None
    names, refused = [], []
    seen = set()
    for raw in split_names(text):
        try:
            name = parse(raw, zones, default_zone=default)
        except DomainError as exc:
            refused.append((raw, exc.message))
            continue
        if name.ascii not in seen:
            seen.add(name.ascii)
            names.append(name)
    return names, refused


def check_names(provider: Any, text: str) -> dict[str, Any]:
    """Availability and 1-year prices of each name typed (``Check``)."""
    names, refused = parse_names(provider, text)
    if not names and not refused:
        raise DomainError(_("Type one or more domain names."), field="names")
    rows = []
    for answer in availability.check(names):
        zone = answer.name.zone
        prices = {row.action: row.amount for row in zone.prices.all() if row.years == 1}
        rows.append(
            {
                "name": answer.name.unicode,
                "ascii": answer.name.ascii,
                "zone": zone,
                "available": answer.available,
                "reason": answer.reason,
                "register_price": prices.get(Action.REGISTER),
                "transfer_price": prices.get(Action.TRANSFER),
                "auth_code_required": zone.auth_code_required,
            }
        )
    return {"results": rows, "refused": [{"name": n, "reason": r} for n, r in refused]}


# --- name servers -----------------------------------------------------------------------------
def clean_ns(domain_ascii: str, entries: Any) -> list[str]:
    """2–13 name servers: ``ns1.example.net`` or, inside the domain itself,
    ``ns1.example.com/192.0.2.1,2001:db8::1`` (the glue addresses are required then and
    refused otherwise). Returns them normalised (lower case ASCII)."""
    if isinstance(entries, str):
        entries = entries.split()
    entries = [str(e).strip() for e in entries or [] if str(e).strip()]
    if not NS_MIN <= len(entries) <= NS_MAX:
        raise DomainError(_("Give 2 to 13 name servers."), field="ns")
    cleaned, hosts = [], set()
    for entry in entries:
        host_raw, _sep, addrs_raw = entry.partition("/")
        try:
            host = host_ascii(host_raw)
        except DomainError as exc:
            raise DomainError(exc.message, field="ns") from None
        if host in hosts:
            raise DomainError(_("%(ns)s is listed twice.") % {"ns": host}, field="ns")
        hosts.add(host)
        addrs = [a.strip() for a in addrs_raw.split(",") if a.strip()]
        for addr in addrs:
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise DomainError(_("%(ip)s is not an IP address.") % {"ip": addr}, field="ns") from None
        inside = host == domain_ascii or host.endswith("." + domain_ascii)
        if inside and not addrs:
            raise DomainError(
                _("%(ns)s is inside %(domain)s: give its IP address, e.g. %(ns)s/192.0.2.1.")
                % {"ns": host, "domain": to_unicode(domain_ascii)},
                field="ns",
            )
        if addrs and not inside:
            raise DomainError(
                _("%(ns)s is outside %(domain)s: it takes no IP address here.")
                % {"ns": host, "domain": to_unicode(domain_ascii)},
                field="ns",
            )
        cleaned.append(host + ("/" + ",".join(addrs) if addrs else ""))
    return cleaned


# --- ordering ---------------------------------------------------------------------------------
def _contact(client: Client, value: Any, role: str, *, required: bool) -> DomainContact | None:
    """One of the client's contacts (an id or the row), or a new one (a dict of its fields:
    checked here, saved with the order; a refusal names the field as ``new_<role>_<field>``)."""
    if isinstance(value, dict):
        contact = DomainContact(client=client, **{k: str(v).strip() for k, v in value.items() if k in CONTACT_FIELDS})
        contact.country = contact.country.upper()
        try:
            _clean_contact(contact)
        except DomainError as exc:
            raise DomainError(exc.message, field=f"new_{role}_{exc.field}") from None
        return contact
    if value in (None, ""):
        if required:
            raise DomainError(_("Choose the owner contact, or fill in a new one."), field=role)
        return None
    pk = value.pk if isinstance(value, DomainContact) else value
    found = DomainContact.objects.filter(client=client, pk=pk).first()
    if found is None:
        raise DomainError(_("No such contact."), field=role)
    return found


def order_domain(
    client: Client,
    *,
    name: str,
    action: str,
    actor: Actor,
    now: datetime,
    years: int = 1,
    auth_code: str = "",
    contacts: dict[str, Any] | None = None,
    ns: Any = None,
    auto_renew: bool = True,
    request_key: str = "",
) -> OrderLine:
    """Put a registration or a transfer in the cart, charged the zone's price for it."""
    if action not in (Action.REGISTER, Action.TRANSFER):
        raise DomainError(_("Choose registration or transfer."), field="action")
    try:
        years = int(years)
    except (TypeError, ValueError):
        raise DomainError(_("Choose the number of years."), field="years") from None
    if not 1 <= years <= MAX_YEARS:
        raise DomainError(_("Domains are ordered for 1 to %(max)s years.") % {"max": MAX_YEARS}, field="years")
    names, refused = parse_names(client.provider, name)
    if refused:
        raise DomainError(refused[0][1], field="name")
    if len(names) != 1:
        raise DomainError(_("Order one domain at a time."), field="name")
    parsed = names[0]
    zone = parsed.zone
    amount = price(zone, action, years)
    auth_code = (auth_code or "").strip()
    if action == Action.TRANSFER and zone.auth_code_required and not auth_code:
        raise DomainError(_("A transfer of this domain needs its auth code."), field="auth_code")
    contacts = contacts or {}
    chosen = {role: _contact(client, contacts.get(role), role, required=role == Role.OWNER) for role in Role.values}
    for role in (Role.ADMIN, Role.TECH, Role.BILLING):
        chosen[role] = chosen[role] or chosen[Role.OWNER]  # not given: the owner holds the role
    ns_list = clean_ns(parsed.ascii, ns) if ns else []
    if Domain.objects.filter(
        name=parsed.ascii,
        zone__provider=client.provider,
        service__status__in=[Status.ORDERED, Status.ACTIVE, Status.SUSPENDED],
    ).exists() and not (request_key and OrderLine.objects.filter(client=client, request_key=request_key).exists()):
        raise DomainError(_("%(name)s is already ordered here.") % {"name": parsed.unicode}, field="name")
    with transaction.atomic():
        # A domain product type may declare a "domain" parameter (the name); fill it in.
        codes = set(zone.tariff.product_type.parameters.values_list("code", flat=True))
        line = place_order(
            client,
            tariff=zone.tariff,
            period=YEAR_PERIODS.get(years, "year"),
            parameters={"domain": parsed.ascii} if "domain" in codes else None,
            actor=actor,
            now=now,
            name=parsed.unicode,
            request_key=request_key,
        )
        service = line.service
        owner = chosen[Role.OWNER]
        assert owner is not None  # required above
        if hasattr(service, "domain"):
            return line  # the same request again
        for contact in chosen.values():
            if contact is not None and contact.pk is None:
                contact.save()  # created in the order (once, when it holds several roles)
        parameters = {
            **service.parameters,
            "domain": parsed.ascii,
            "action": action,
            "years": years,
            "ns": ns_list,
            "contacts": {role: c.registry_data() for role, c in chosen.items() if c is not None},
        }
        if auth_code:
            parameters["auth_code"] = auth_code
        Service.objects.filter(pk=service.pk).update(parameters=parameters, auto_renew=auto_renew)
        Domain.objects.create(
            service=service,
            zone=zone,
            name=parsed.ascii,
            action=action,
            years=years,
            ns=ns_list,
            owner=owner,
            admin=chosen[Role.ADMIN],
            tech=chosen[Role.TECH],
            billing=chosen[Role.BILLING],
            verification=Verification.REQUIRED if zone.verification_required else Verification.NOT_REQUIRED,
        )
        kind = "domain_registration" if action == Action.REGISTER else "domain_transfer"
        # The zone's price with its tax, one line rounded once (invoicing): what is charged
        # when paid and what the invoice of a payment for exactly this order lists.
        taxed = breakdown(client, [Decimal(0), amount], now=now)
        line.period_amount = taxed.parts[1].gross
        line.setup_amount = Decimal(0)
        line.amount = taxed.total
        line.description = Text(kind, name=parsed.unicode, years=years)
        label = (
            ngettext("registration for %(years)d year", "registration for %(years)d years", years)
            if action == Action.REGISTER
            else ngettext("transfer with %(years)d year", "transfer with %(years)d years", years)
        )
        line.details = {
            **{k: v for k, v in line.details.items() if k != "tax"},
            **invoice_details(taxed, setup_label=_("setup fee"), period_label=label % {"years": years}),
            "domain": parsed.ascii,
            "action": action,
            "years": years,
        }
        line.save(
            update_fields=[
                "period_amount",
                "setup_amount",
                "amount",
                "description_kind",
                "description_params",
                "details",
            ]
        )
    return line


def contacts_from(data: dict[str, Any]) -> dict[str, Any]:
    """The roles' contacts of an order (the form's or the API's): per role the id of one of the
    client's contacts, else the fields of a new one under ``new_<role>`` (a dict with a name)."""
    chosen: dict[str, Any] = {}
    for role in Role.values:
        value, new = data.get(role), data.get(f"new_{role}")
        if value in (None, "") and isinstance(new, dict) and str(new.get("name") or "").strip():
            value = {**new, "kind": new.get("kind") or ContactKind.PERSON}
        chosen[role] = value
    return chosen


def order_from_request(
    client: Client, data: dict[str, Any], *, actor: Actor, now: datetime, request_key: str = ""
) -> OrderLine:
    """``order_domain`` from an order form's or the API's parsed fields."""
    return order_domain(
        client,
        name=data["name"],
        action=data["action"],
        years=data.get("years") or 1,
        auth_code=data.get("auth_code") or "",
        contacts=contacts_from(data),
        ns=data.get("ns") or None,
        auto_renew=bool(data.get("auto_renew", True)),
        actor=actor,
        now=now,
        request_key=request_key,
    )


# --- name servers of a domain service ---------------------------------------------------------
def set_ns(domain: Domain, entries: Any, *, actor: Actor, now: datetime) -> Domain:
    """Change the name servers: before payment they are only kept; once the domain is
    registered or transferred they go to the registrar (a reconfiguration operation)."""
    ns_list = clean_ns(domain.name, entries)
    with transaction.atomic():
        service = service_actions.lock(domain.service_id)
        if service.status == Status.ORDERED and not service.operation:
            pass
        elif service.status in (Status.ACTIVE, Status.SUSPENDED):
            service_actions.start_operation(service, "reconfiguration", actor=actor, now=now, params={"ns": ns_list})
        else:
            raise IllegalTransition(_("The name servers cannot be changed now."))
        Service.objects.filter(pk=service.pk).update(parameters={**service.parameters, "ns": ns_list})
        Domain.objects.filter(pk=domain.pk).update(ns=ns_list)
        events.record(service, "name servers", actor=actor, now=now, note=Text("list", items=ns_list))
    domain.refresh_from_db()
    return domain


# --- registration data (Whois) ----------------------------------------------------------------
def refresh_whois(domain: Domain, *, now: datetime) -> Domain:
    """Fetch the registration data: the registrar module's own (EPP ``<info>``) where it has
    one, else RDAP, else WHOIS. Kept with the time it was fetched; an error is kept in plain
    words beside the last good data. Runs in the worker (a remote call)."""
    zone = domain.zone
    text, error = "", ""
    service = domain.service
    module = service.module or zone.module
    try:
        if (
            module is not None
            and "whois" in get_module(module.kind).capabilities
            and service.status
            in (
                Status.ACTIVE,
                Status.SUSPENDED,
            )
        ):
            spec = service_spec(service)
            if service.module is None:
                spec = replace(spec, config=dict(module.config), secrets=module.get_secrets())
            info = get_module(module.kind).info(spec)  # type: ignore[attr-defined]
            info.pop("auth_code", None)
            text = "\n".join(
                f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in info.items() if k != "contacts"
            )
        elif zone.rdap_url:
            response = requests.get(
                zone.rdap_url.rstrip("/") + "/domain/" + domain.name,
                timeout=zone.timeout,
                headers={"Accept": "application/rdap+json"},
            )
            if response.status_code == 404:
                error = _("The registry has no record of this domain.")
            else:
                response.raise_for_status()
                text = json.dumps(response.json(), indent=2, ensure_ascii=False)
        elif zone.whois_server:
            text = availability.whois_query(zone.whois_server, domain.name, zone.timeout)
        else:
            error = _("No source of registration data is set for this zone.")
    except ModuleError as exc:
        error = _("The registry did not answer: %(error)s") % {"error": exc}
    except Exception as exc:
        error = _("The registration data could not be fetched (%(error)s).") % {"error": type(exc).__name__}
    updates: dict[str, Any] = {"whois_error": error[:500], "whois_fetched_at": now}
    if text:
        updates["whois_text"] = text
    Domain.objects.filter(pk=domain.pk).update(**updates)
    domain.refresh_from_db()
    return domain


def check_delegation(domain: Domain, *, now: datetime, **dns: Any) -> Domain:
    """Ask DNS whether the domain is delegated (parent's NS set, each server's answer) and keep
    the result with its time. Runs in the worker; ``dns`` reaches delegation.check (tests
    point it at their own servers)."""
    result = delegation.check(domain.name, **dns)
    Domain.objects.filter(pk=domain.pk).update(
        delegation=result.state, delegation_reason=result.reason[:1000], delegation_checked_at=now
    )
    domain.refresh_from_db()
    return domain


MAX_DOCUMENTS = 2


def submit_verification(domain: Domain, files: Any, *, actor: Actor, now: datetime) -> Domain:
    """Verify: up to two documents (the support attachment rules: size and type allow-list),
    kept privately; the status becomes *Submitted* (domains.operations then has the worker
    send them to the registrar's address)."""
    files = list(files or [])
    if not domain.zone.verification_required or not domain.verification:
        raise IllegalTransition(_("This zone needs no document verification."))
    if domain.verification not in (Verification.REQUIRED, Verification.REJECTED):
        raise IllegalTransition(_("The documents were already sent."))
    if not 1 <= len(files) <= MAX_DOCUMENTS:
        raise DomainError(_("Attach one or two documents."), field="documents")
    try:
        checked = check_files(files)
    except DomainError as exc:
        raise DomainError(exc.message, field="documents") from None
    with transaction.atomic():
        locked = Domain.objects.select_for_update().get(pk=domain.pk)
        if locked.verification not in (Verification.REQUIRED, Verification.REJECTED):
            raise IllegalTransition(_("The documents were already sent."))
        locked.documents.all().delete()
        for item in checked:
            document = DomainDocument(
                domain=locked, name=item.name, content_type=item.content_type, size=item.size, uploaded_at=now
            )
            document.file.save(item.name, item.content, save=False)
            document.save()
        Domain.objects.filter(pk=locked.pk).update(verification=Verification.SUBMITTED)
        events.record(
            locked.service,
            "verification submitted",
            actor=actor,
            now=now,
            note=Text("list", items=[c.name for c in checked]),
        )
    domain.refresh_from_db()
    return domain


# --- what the registry confirmed or refused (called by services in its transaction) -----------
def _first_term_end(service: Service, now: datetime) -> datetime | None:
    """The end of a domain's first term when it is longer than its renewal period."""
    domain = Domain.objects.filter(service=service).only("years").first()
    if domain is None or PERIOD_MONTHS.get(service.period, 12) >= 12 * domain.years:
        return None
    return add_period(now, "year", service.client.provider.tz, count=domain.years)


def _last_result(service: Service, operation: str) -> dict[str, Any]:
    """What the module reported for the service's last confirmed ``operation``."""
    result = (
        ProvisioningTask.objects.filter(service=service, operation=operation, state=TaskState.DONE)
        .order_by("-finished_at", "-pk")
        .values_list("result", flat=True)
        .first()
    )
    return result if isinstance(result, dict) else {}


def _transfer_pending(service: Service) -> bool:
    return bool(_last_result(service, "activation").get("pending"))


def _registry_expiry(result: dict[str, Any]) -> datetime | None:
    value = str(result.get("expires") or "")
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _take_registry_expiry(service: Service, operation: str, expires: datetime | None, *, now: datetime) -> None:
    """The paid term counts from the registry's confirmation: the service runs to the expiry
    the registry reported (its exDate), not to the one computed here when it was charged; the
    charge for the term ends there too. Without a registry date (a manual registrar) the
    local one stays (a first term of several years runs those years)."""
    if expires is None:
        if operation == "activation":
            expires = _first_term_end(service, now)
        if expires is None:
            return
    old = service.expires_at
    charges = Expense.objects.filter(service=service, kind=ExpenseKind.PERIOD)
    if operation == "activation":
        charges = charges.filter(key="first")
    else:
        charges = charges.filter(period_end=old).exclude(key="first")
    charges.update(period_end=expires)
    service.expires_at = expires
    service.save(update_fields=["expires_at"])


def domain_operation_done(service: Service, operation: str, *, actor: Actor, now: datetime) -> None:
    """The registry confirmed ``operation`` (services.actions.complete_operation, the service
    row locked). A transfer the losing registrar has not answered yet stays *In progress
    (transfer)* (the transfers sweep follows it); a registration, transfer or renewal runs to
    the registry's expiry; a restored domain leaves redemption; a renewal paid while the
    service was stopped starts once it has resumed; money given back when the registry refused
    this operation earlier (staff then retried it, and it went through) is charged again."""
    if operation == "activation" and _transfer_pending(service):
        # The losing registrar has not answered: the transfers sweep follows it (poll, query).
        Domain.objects.filter(service=service).update(transfer_status=TransferState.PENDING, transfer_checked_at=now)
        events.record(service, "operation done", actor=actor, now=now, note=Text("transfer_pending"))
        if not service.operation:
            service_actions.follow_operation(service, Operation.TRANSFER, actor=actor, now=now)
        return
    if operation == "resume" and service.parameters.get("renewal_after_resume") and not service.operation:
        parameters = dict(service.parameters)
        params = parameters.pop("renewal_after_resume")
        Service.objects.filter(pk=service.pk).update(parameters=parameters)
        service.parameters = parameters
        service_actions.start_operation(service, Operation.RENEWAL, actor=actor, now=now, params=params)
        return
    if operation not in ("activation", "renewal"):
        return
    refunds = Expense.objects.filter(service=service, kind=ExpenseKind.REFUND, key__startswith=REMOTE_REFUSED_KEY)
    for refund in refunds.order_by("pk"):
        original_kind, _sep, original_key = refund.key[len(REMOTE_REFUSED_KEY) :].partition(":")
        charged, created = charge_service(
            service,
            kind=original_kind,
            key=f"{original_key}:charged-again",
            amount=-refund.amount,
            description=Text("registry_charged_again", name=service.name),
            now=now,
            period_start=refund.period_start,
            period_end=refund.period_end,
            actor=actor,
            allow_overdraft=True,  # the client has what it was refunded for
        )
        if created:
            if (
                operation == "renewal"
                and refund.period_end
                and (service.expires_at is None or service.expires_at < refund.period_end)
            ):
                service.expires_at = refund.period_end
                service.save(update_fields=["expires_at"])
            events.record(
                service,
                "refund reversed",
                actor=actor,
                now=now,
                note=Text("amount", amount=Money(charged.amount, charged.currency)),
            )
    _take_registry_expiry(service, operation, _registry_expiry(_last_result(service, operation)), now=now)
    if operation == "renewal":
        restored = service.parameters.get("restore")
        if restored:
            parameters = {k: v for k, v in service.parameters.items() if k != "restore"}
            Service.objects.filter(pk=service.pk).update(parameters=parameters)
            service.parameters = parameters
        changed = (
            Domain.objects.filter(service=service)
            .exclude(phase=Phase.NONE)
            .update(phase=Phase.NONE, grace_until=None, redemption_until=None)
        )
        if changed and restored:
            events.record(service, "domain phase", actor=actor, now=now, note=Text("domain_restored"))


def registry_refused(service: Service, operation: str, *, actor: Actor, now: datetime) -> Decimal:
    """A permanent refusal of a paid registration or transfer (activation) or renewal: what the
    client paid for it goes back to the balance at once (each charge once), and a refused
    renewal does not extend the domain. The task stays in the staff queue. Returns the amount."""
    charges = Expense.objects.filter(service=service, amount__gt=0)
    if operation == "activation":
        charges = charges.filter(kind__in=[ExpenseKind.PERIOD, ExpenseKind.SETUP], key="first")
    elif operation == "renewal" and service.expires_at is not None:
        charges = charges.filter(kind=ExpenseKind.PERIOD, period_end=service.expires_at).exclude(key="first")[:1]
    else:
        return Decimal(0)
    chosen = list(charges)
    if operation == "renewal" and service.parameters.get("restore"):
        # A refused restore: its fee goes back with the year's renewal; the domain stays in
        # redemption (the expiry sweep deletes it when that ends).
        chosen += list(Expense.objects.filter(service=service, kind=ExpenseKind.SETUP, key__startswith=RESTORE_KEY))
        parameters = {k: v for k, v in service.parameters.items() if k != "restore"}
        Service.objects.filter(pk=service.pk).update(parameters=parameters)
        service.parameters = parameters
    total = Decimal(0)
    for charge in chosen:
        # The key makes it once per charge: a retry refused again gives nothing more.
        refund, created = charge_service(
            service,
            kind=ExpenseKind.REFUND,
            key=f"{REMOTE_REFUSED_KEY}{charge.kind}:{charge.key}",
            amount=-charge.amount,
            description=Text("registry_refund", name=service.name),
            now=now,
            period_start=charge.period_start,
            period_end=charge.period_end,
            actor=actor,
        )
        if not created:
            continue
        total += charge.amount
        if operation == "renewal" and charge.period_start is not None:
            service.expires_at = charge.period_start  # the refused year is not the client's
            service.save(update_fields=["expires_at"])
    if total:
        events.record(
            service, "refund", actor=actor, now=now, note=Text("amount", amount=Money(total, service.client.currency))
        )
    return total


# --- transfers the losing registrar has not answered yet ---------------------------------------
APPROVED = ("clientApproved", "serverApproved")
REFUSED = ("clientRejected", "clientCancelled", "serverCancelled")


def follow_transfers(*, now: datetime, limit: int = 200) -> dict[str, str]:
    """The transfers sweep: read each registrar's poll queue (acknowledging its messages), then
    ask the registry where each pending transfer stands. Approved: the domain is ours (its
    expiry and id recorded). Rejected or cancelled: the money goes back at once and the service
    is deleted (nothing at the registry is ours). Returns domain → what happened."""
    pending = list(
        Domain.objects.filter(transfer_status=TransferState.PENDING)
        .select_related("service__module", "zone__module")
        .order_by("transfer_checked_at", "pk")[:limit]
    )
    outcome: dict[str, str] = {}
    polled: set[int] = set()
    for domain in pending:
        module_row = domain.service.module or domain.zone.module
        if module_row is None:
            continue
        module = get_module(module_row.kind)
        if "transfer_status" not in module.capabilities:
            continue
        try:
            if "poll" in module.capabilities and module_row.pk not in polled:
                polled.add(module_row.pk)
                for message in module.poll(dict(module_row.config), module_row.get_secrets()):  # type: ignore[attr-defined]
                    outcome.setdefault(message["domain"], f"message: {message['status']}")
            answer = module.transfer_status(service_spec(domain.service))  # type: ignore[attr-defined]
        except ModuleError as exc:
            Domain.objects.filter(pk=domain.pk).update(transfer_checked_at=now)
            outcome[domain.name] = f"error: {exc}"
            continue
        outcome[domain.name] = _transfer_answer(domain, answer, now=now)
    return outcome


def _transfer_answer(domain: Domain, answer: dict[str, Any], *, now: datetime) -> str:
    actor = Actor.system("transfers")
    status = str(answer.get("status", ""))
    if status in APPROVED and "sponsor" not in answer:
        with transaction.atomic():
            service = service_actions.lock(domain.service_id)
            changed = Domain.objects.filter(pk=domain.pk, transfer_status=TransferState.PENDING).update(
                transfer_status=TransferState.DONE, transfer_checked_at=now
            )
            if changed:
                if answer.get("remote_id"):
                    Service.objects.filter(pk=service.pk).update(remote_id=str(answer["remote_id"]))
                if service.operation == Operation.TRANSFER:
                    service = service_actions.complete_operation(
                        service.pk, Operation.TRANSFER, actor=actor, now=now, note=Text("transfer_completed")
                    )
                else:
                    events.record(service, "operation done", actor=actor, now=now, note=Text("transfer_completed"))
                # Active from here, to the expiry the registry now records for the domain.
                _take_registry_expiry(service, "activation", _registry_expiry(answer), now=now)
        return "done"
    if status in REFUSED:
        with transaction.atomic():
            service = service_actions.lock(domain.service_id)
            changed = Domain.objects.filter(pk=domain.pk, transfer_status=TransferState.PENDING).update(
                transfer_status=TransferState.REJECTED, transfer_checked_at=now
            )
            if changed:
                if service.operation == Operation.TRANSFER:
                    service = service_actions.cancel_operation(
                        service.pk, Operation.TRANSFER, actor=actor, now=now, note=Text("transfer_refused")
                    )
                else:
                    events.record(service, "operation failed", actor=actor, now=now, note=Text("transfer_refused"))
                registry_refused(service, "activation", actor=actor, now=now)
                service_actions.delete_service(service, actor=actor, now=now, at_period_end=False, refund=False)
        return "rejected"
    Domain.objects.filter(pk=domain.pk).update(transfer_checked_at=now)
    return status or "unknown"


# --- after expiry: grace, redemption, restore (RFC 3915) ---------------------------------------
RESTORE_KEY = "restore:"
LIVE = (Status.ACTIVE, Status.SUSPENDED)


def phase_text(domain: Domain) -> str:
    """The expiry phase in the reader's words, with its deadline ("" when registered)."""
    if domain.phase == Phase.GRACE and domain.grace_until:
        return str(Text("domain_grace", date=domain.grace_until.date()))
    if domain.phase == Phase.REDEMPTION and domain.redemption_until:
        return str(Text("domain_redemption", date=domain.redemption_until.date()))
    return ""


def renewal_refusal(service: Service) -> str:
    """Why a domain cannot simply be renewed now ("" when it can): one in redemption is only
    restored (``restore_domain``: the restore price and a year's renewal)."""
    phase = Domain.objects.filter(service=service).values_list("phase", flat=True).first()
    if phase == Phase.REDEMPTION and not service.parameters.get("restore"):
        return _("The domain is in redemption: restore it (the restore price and a year's renewal).")
    return ""


def restore_price(domain: Domain) -> Decimal | None:
    """What restoring costs now (the restore price + one year's renewal), or None."""
    if domain.phase != Phase.REDEMPTION or domain.zone.restore_price is None:
        return None
    renew = next((p.amount for p in domain.zone.prices.all() if p.action == Action.RENEW and p.years == 1), None)
    return None if renew is None else Decimal(domain.zone.restore_price) + renew


def restore_domain(domain: Domain, *, actor: Actor, now: datetime) -> Decimal:
    """Restore a domain in redemption: the zone's restore price and one year's renewal are
    charged (each under its own key: twice asked, charged once), the registrar restores it
    (RFC 3915 restore request and report) and renews it; the term then runs to the registry's
    new expiry. A permanent refusal gives both back (registry_refused). Returns the total."""
    with transaction.atomic():
        service = service_actions.lock(domain.service_id)
        locked = Domain.objects.select_for_update().select_related("zone").get(pk=domain.pk)
        if locked.phase != Phase.REDEMPTION or (locked.redemption_until and locked.redemption_until <= now):
            raise IllegalTransition(_("Only a domain in redemption can be restored."))
        if locked.zone.restore_price is None:
            raise IllegalTransition(
                _("Restoring is not offered in .%(zone)s.") % {"zone": to_unicode(locked.zone.name)}
            )
        if service.parameters.get("restore") or service.operation:
            raise IllegalTransition(_("The restore is already under way."))
        Service.objects.filter(pk=service.pk).update(parameters={**service.parameters, "restore": True})
        fee, _created = charge_service(
            service,
            kind=ExpenseKind.SETUP,
            key=f"{RESTORE_KEY}{locked.redemption_until.isoformat() if locked.redemption_until else ''}",
            amount=charge_amount(service.client, Decimal(locked.zone.restore_price), now=now),
            description=Text("domain_restore", name=service.name),
            now=now,
            actor=actor,
        )
        renewal = renew_service(service.pk, actor=actor, now=now, period="year")
        events.record(service, "domain phase", actor=actor, now=now, note=Text("domain_restore", name=service.name))
    return Decimal(fee.amount) + Decimal(renewal.expense.amount)


def follow_expiries(*, now: datetime, limit: int = 200) -> dict[str, str]:
    """The expiry sweep. A domain past its expiry enters the zone's grace period (renewable at
    the renewal price); when that ends unrenewed it is deleted at the registry and enters
    redemption (restorable); when that ends the service is deleted. Each step is recorded in
    History; a registry that does not answer is asked again on the next run. Idempotent."""
    outcome: dict[str, str] = {}
    actor = Actor.system("expiry")
    # Renewed in grace where no registry confirms renewals (a manual registrar): registered again.
    Domain.objects.filter(phase=Phase.GRACE, service__expires_at__gt=now, service__operation="").update(
        phase=Phase.NONE, grace_until=None, redemption_until=None
    )
    idle = Q(service__status__in=LIVE, service__operation="", service__expires_at__lte=now)
    for domain in Domain.objects.filter(idle, phase=Phase.NONE).select_related("zone", "service")[:limit]:
        expired = domain.service.expires_at
        assert expired is not None  # filtered above
        grace_until = expired + timedelta(days=domain.zone.grace_days)
        Domain.objects.filter(pk=domain.pk, phase=Phase.NONE).update(
            phase=Phase.GRACE,
            grace_until=grace_until,
            redemption_until=grace_until + timedelta(days=domain.zone.redemption_days),
        )
        events.record(
            domain.service, "domain phase", actor=actor, now=now, note=Text("domain_grace", date=grace_until.date())
        )
        outcome[domain.name] = "grace"
    due = Domain.objects.filter(idle, phase=Phase.GRACE, grace_until__lte=now)
    for domain in due.select_related("zone__module", "service__module")[:limit]:
        try:
            _delete_at_registry(domain)
        except ModuleError as exc:
            outcome[domain.name] = f"error: {exc}"
            continue
        Domain.objects.filter(pk=domain.pk, phase=Phase.GRACE).update(phase=Phase.REDEMPTION)
        until = domain.redemption_until.date() if domain.redemption_until else now.date()
        events.record(domain.service, "domain phase", actor=actor, now=now, note=Text("domain_redemption", date=until))
        outcome[domain.name] = "redemption"
    gone = Domain.objects.filter(
        phase=Phase.REDEMPTION, redemption_until__lte=now, service__status__in=LIVE, service__operation=""
    )
    for domain in gone.exclude(service__parameters__has_key="restore")[:limit]:
        with transaction.atomic():
            service = service_actions.lock(domain.service_id)
            if service.operation or service.status not in LIVE:
                continue
            service_actions.delete_service(service, actor=actor, now=now, at_period_end=False, refund=False)
        outcome[domain.name] = "deleted"
    return outcome


def _delete_at_registry(domain: Domain) -> None:
    """The registrar's ``<delete>`` of an expired domain: the registry holds it in redemption."""
    module_row = domain.service.module or domain.zone.module
    if module_row is None:
        return  # a manual registrar: staff let it go at the registry
    module = get_module(module_row.kind)
    if "domains" not in module.capabilities:
        return
    spec = service_spec(domain.service)
    if domain.service.module is None:
        spec = replace(spec, config=dict(module_row.config), secrets=module_row.get_secrets())
    module.close(spec)
