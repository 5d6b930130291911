"""Finances → Invoices (the client's invoices and credit notes, their PDF), the proforma of a
pending order, and the billing profile. Lookups are scoped to the client: another client's id
is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from openbill.core.actors import Actor
from openbill.core.errors import DomainError
from openbill.core.paging import page_of
from openbill.invoicing import actions, selectors
from openbill.invoicing.forms import BillingProfileForm
from openbill.invoicing.http import pdf_response
from openbill.invoicing.proforma import proforma_pdf
from openbill.orders.models import Order, OrderStatus

from .access import client_required

DOCUMENTS_PER_PAGE = 25


@client_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    documents = selectors.documents_for(client).select_related("corrects", "pdf")
    page = page_of(documents, DOCUMENTS_PER_PAGE, request.GET.get("page"))
    return render(request, "clientarea/finances/invoices.html", {"page": page})


@client_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    return pdf_response(get_object_or_404(selectors.documents_for(client), pk=pk))


@client_required
def order_proforma(request: HttpRequest, pk: int) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    order = get_object_or_404(Order.objects.for_client(client).filter(status=OrderStatus.PENDING), pk=pk)
    response = HttpResponse(proforma_pdf(order, now=timezone.now()), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="proforma-{order.pk}.pdf"'
    return response


@client_required
def billing_profile(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    profile = selectors.billing_profile(client)
    form = BillingProfileForm(request.POST or None, initial=selectors.billing_profile_initial(client, profile))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.save_billing_profile(
                    client, form.cleaned_data, actor=Actor.client_of(request), now=timezone.now()
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your billing details were saved."))
                return redirect("clientarea:billing_profile")
        status = 400
    return render(request, "clientarea/profile/billing.html", {"form": form, "profile": profile}, status=status)
