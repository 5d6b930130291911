"""Domains in the client area: Check and order, domain contacts, and a domain service's
Whois / NS / Verify page. Lookups go through the client's own rows (another client's → 404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.money import format_money
from openbill.core.replica import replica_reads_view
from openbill.domains import actions, operations, selectors
from openbill.domains.forms import CheckForm, ContactForm, DomainContactsForm, NsForm, OrderForm, VerifyForm

from .access import client_required


def _form_error(form: Any, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _money(amount: Any, client: Any) -> str:
    return format_money(amount, client.currency) if amount is not None else "—"


def _priced(rows: list[dict[str, Any]], client: Any) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "register_text": _money(row["register_price"], client),
            "transfer_text": _money(row["transfer_price"], client),
        }
        for row in rows
    ]


@client_required
def check(request: HttpRequest) -> HttpResponse:
    """Type names, press Check: each name's availability and price; then order it."""
    client = request.client  # type: ignore[attr-defined]
    form = CheckForm(request.GET or None)
    answer: dict[str, Any] = {"results": [], "refused": []}
    if request.GET and form.is_valid():
        try:
            answer = actions.check_names(client.provider, form.cleaned_data["names"])
        except DomainError as exc:
            _form_error(form, exc)
    contacts = selectors.client_contacts(client)
    context = {
        "form": form,
        "results": _priced(answer["results"], client),
        "refused": answer["refused"],
        "order_form": OrderForm(contacts=contacts, initial={"years": 1, "auto_renew": True}),
        "has_contacts": contacts.exists(),
        "zones": actions.zones_on_sale(client.provider),
    }
    return render(request, "clientarea/domains/check.html", context, status=400 if form.errors else 200)


@client_required
def order(request: HttpRequest) -> HttpResponse:
    """A registration or transfer into the cart (domains.actions.order_from_request, as the API)."""
    client = request.client  # type: ignore[attr-defined]
    initial = {"name": request.GET.get("name", ""), "action": request.GET.get("action", "register")}
    form = OrderForm(
        request.POST or None,
        contacts=selectors.client_contacts(client),
        initial={**initial, "years": 1, "auto_renew": True},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.order_from_request(client, form.request_data(), actor=Actor.client_of(request), now=timezone.now())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s is in the cart.") % {"name": form.cleaned_data["name"]})
            return redirect("clientarea:cart")
    return render(request, "clientarea/domains/order.html", {"form": form}, status=400 if form.errors else 200)


@client_required
@replica_reads_view
def contacts(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.create_contact(client, form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("clientarea:domain_contacts")
    context = {"form": form, "contacts": selectors.client_contacts(client)}
    return render(request, "clientarea/domains/contacts.html", context, status=400 if form.errors else 200)


@client_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    contact = get_object_or_404(selectors.client_contacts(client), pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_contact(contact, form.cleaned_data, actor=Actor.client_of(request), now=timezone.now())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("clientarea:domain_contacts")
    return render(
        request,
        "clientarea/domains/contact.html",
        {"form": form, "contact": contact},
        status=400 if form.errors else 200,
    )


def _domain(request: HttpRequest, pk: int) -> Any:
    client = request.client  # type: ignore[attr-defined]
    return get_object_or_404(selectors.client_domains(client), service_id=pk)


def _page(
    request: HttpRequest,
    domain: Any,
    ns_form: NsForm | None = None,
    status: int = 200,
    verify_form: VerifyForm | None = None,
    contacts_form: DomainContactsForm | None = None,
) -> HttpResponse:
    ns_form = ns_form or NsForm(initial={"ns": "\n".join(domain.ns)})
    contacts_form = contacts_form or DomainContactsForm(
        contacts=selectors.client_contacts(domain.service.client),
        initial={role: getattr(domain, f"{role}_id") for role in ("owner", "admin", "tech", "billing")},
    )
    context = {
        "domain": domain,
        "service": domain.service,
        "ns_form": ns_form,
        "verify_form": verify_form or VerifyForm(),
        "contacts_form": contacts_form,
        "can_replace_contacts": actions.can_replace_contacts(domain.service),
        "phase_text": actions.phase_text(domain),
        "restore_text": _money(actions.restore_price(domain), domain.service.client),
        "can_restore": actions.restore_price(domain) is not None and not domain.service.operation,
    }
    return render(request, "clientarea/domains/service.html", context, status=status)


@client_required
@replica_reads_view
def service_domain(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _domain(request, pk))


@client_required
@require_POST
def service_ns(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _domain(request, pk)
    form = NsForm(request.POST)
    if form.is_valid():
        try:
            actions.set_ns(domain, form.cleaned_data["ns"].split(), actor=Actor.client_of(request), now=timezone.now())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The name servers were saved."))
            return redirect("clientarea:service_domain", pk=pk)
    return _page(request, domain, form, status=409 if any(True for _ in form.non_field_errors()) else 400)


@client_required
@require_POST
def service_whois(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _domain(request, pk)
    operations.request_whois(domain)
    messages.info(request, _("The registration data is being fetched; reload the page in a moment."))
    return redirect("clientarea:service_domain", pk=pk)


@client_required
@require_POST
def service_delegation(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _domain(request, pk)
    operations.request_delegation_check(domain)
    messages.info(request, _("The delegation is being checked; reload the page in a moment."))
    return redirect("clientarea:service_domain", pk=pk)


@client_required
@require_POST
def service_verify(request: HttpRequest, pk: int) -> HttpResponse:
    domain = _domain(request, pk)
    form = VerifyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            operations.submit_verification(
                domain, form.cleaned_data["documents"], actor=Actor.client_of(request), now=timezone.now()
            )
        except DomainError as exc:
            _form_error(form, exc)
            status = 409 if exc.http_status == 409 else 400
            return _page(request, domain, verify_form=form, status=status)
        messages.success(request, _("The documents were sent for verification."))
        return redirect("clientarea:service_domain", pk=pk)
    return _page(request, domain, verify_form=form, status=400)


@client_required
@require_POST
def service_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    """Put other contacts on the domain (only while it is being processed or stopped)."""
    domain = _domain(request, pk)
    form = DomainContactsForm(request.POST, contacts=selectors.client_contacts(request.client))  # type: ignore[attr-defined]
    if form.is_valid():
        try:
            actions.replace_contacts(
                domain,
                {role: form.cleaned_data[role] for role in ("owner", "admin", "tech", "billing")},
                actor=Actor.client_of(request),
                now=timezone.now(),
            )
        except DomainError as exc:
            _form_error(form, exc)
            return _page(request, domain, contacts_form=form, status=409 if exc.http_status == 409 else 400)
        messages.success(request, _("The domain's contacts were saved."))
        return redirect("clientarea:service_domain", pk=pk)
    return _page(request, domain, contacts_form=form, status=400)


@client_required
@require_POST
def service_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Restore a domain in redemption (the restore price and a year's renewal, from the balance)."""
    domain = _domain(request, pk)
    try:
        total = actions.restore_domain(domain, actor=Actor.client_of(request), now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, domain, status=exc.http_status)
    messages.success(
        request,
        _("The restore was paid (%(amount)s); the registry confirms it shortly.")
        % {"amount": format_money(total, domain.service.client.currency)},
    )
    return redirect("clientarea:service_domain", pk=pk)
