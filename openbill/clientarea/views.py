"""The client area's own pages: dashboard, Goods/Services, a service, finances, profile.

Every lookup by id goes through a queryset scoped to ``request.client`` (or, for API tokens,
to ``request.user``): another client's id is a 404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openbill.accounts import sessions, twofactor
from openbill.accounts.models import ApiToken, Membership, RecoveryCodes, User
from openbill.billing.models import LedgerEntry
from openbill.catalog import display
from openbill.catalog.selectors import catalog_of
from openbill.core.money import format_money
from openbill.core.paging import page_of
from openbill.core.replica import replica_reads_view
from openbill.core.timeutil import Period
from openbill.metering.selectors import overage_widget_rows
from openbill.payments import cards
from openbill.services import selectors
from openbill.services.choices import Label, event_kind_label
from openbill.services.filtersets import ServiceFilterSet
from openbill.services.models import Service, ServiceEvent
from openbill.services.rules import Action, allowed_actions, allows
from openbill.support import selectors as support_selectors

from .access import client_required, reauth_required
from .filter_form import filter_fields_html
from .forms import ApiTokenForm, LanguageForm
from .row_actions import ServiceUrl, escape
from .service_rows import ServiceRows

SERVICES_PER_PAGE = 25
WIDGET_ROWS = 20
HISTORY_PER_PAGE = 20
LEDGER_PER_PAGE = 25


def _optional(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _renew_links(service_url: Any) -> Any:
    """How the widget's Renew cost links: extend the service; a daily-priced one tops up."""
    extend = ServiceUrl("clientarea:service_extend")  # reversed once, formatted per row
    topup = _optional("clientarea:topup") or reverse("clientarea:finances")

    def link(service: Service) -> str:
        if not allows(service, Action.EXTEND):
            return str(service_url(service.pk))  # being deleted: its page says why
        if service.period == Period.DAY:
            return topup
        return extend(service.pk) if extend else service_url(service.pk)

    return link


@client_required
@replica_reads_view
def dashboard(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    now = timezone.now()
    active = selectors.priced(selectors.active_service_rows(client)[: WIDGET_ROWS + 1], client)
    running = list(
        Service.objects.for_client(client).exclude(operation="").select_related("product_type").order_by("id")[:10]
    )
    context = {
        "active_rows": _active_rows(active[:WIDGET_ROWS], now),
        "active_more": len(active) > WIDGET_ROWS,
        "overage_rows": _overage_rows(client, now),
        "running": _running_rows(running),
        "topup_url": _optional("clientarea:topup"),
        "order_url": _optional("clientarea:order_catalog"),
        # Support: answers waiting for the client, and an abuse case to answer.
        "questions": list(support_selectors.awaiting_client(client)[:5]),
        "abuse_reports": list(support_selectors.open_reports(client)) if client.abuse_score else [],
    }
    return render(request, "clientarea/dashboard.html", context)


def _active_rows(services: list[Service], now: Any) -> list[SafeString]:
    """The dashboard's Active Services rows (id, name, expiry, automatic renewal, the renewal cost
    linking where Renew leads), written in Python as Goods/Services' rows are."""
    services_url = escape(reverse("clientarea:services"))
    renew_link = _renew_links(ServiceUrl("clientarea:service"))
    costs = selectors.RenewCosts()
    show_in_list, on, off = escape(_("Show in the services list")), escape(_("On")), escape(_("Off"))
    rows = []
    for service in services:
        pk = service.pk
        filter_url = f"{services_url}?id={pk}"
        cost = costs(service)[1]
        renew = f'<a href="{escape(renew_link(service))}">{escape(cost)}</a>' if cost else ""
        rows.append(
            mark_safe(
                f'\n        <tr data-service-id="{pk}" data-href="{filter_url}">\n'
                f'          <td><a href="{filter_url}" title="{show_in_list}">{pk}</a></td>\n'
                f"          <td>{escape(service.name)}</td>\n"
                f"          <td>{escape(selectors.expiration_text(service, now))}</td>\n"
                f"          <td>{on if service.auto_renew else off}</td>\n"
                f"          <td>{renew}</td>\n"
                "        </tr>\n      "
            )
        )
    return rows


def _running_rows(services: list[Service]) -> SafeString:
    """The dashboard's Operations in progress: each service's link and its status."""
    service_url = ServiceUrl("clientarea:service")
    return mark_safe(
        "".join(
            f'\n          <li><a href="{escape(service_url(service.pk))}">#{service.pk} {escape(service.name)}</a>'
            f' — <span class="badge text-bg-info">{escape(service.label)}</span></li>\n          '
            for service in services
        )
    )


def _overage_rows(client: Any, now: Any) -> list[dict[str, Any]]:
    """The dashboard's Service overage rows."""
    services_url = reverse("clientarea:services")
    return [
        {
            **row,
            "filter_url": f"{services_url}?id={row['service'].pk}",
            "expiration": selectors.expiration_text(row["service"], now),
            "cost_text": format_money(row["cost"], row["currency"]),
        }
        for row in overage_widget_rows(client, now)
    ]


def _user(request: HttpRequest) -> User:
    """The logged-in user (the views below are all behind ``client_required``)."""
    return cast(User, request.user)


def _page(request: HttpRequest, queryset: QuerySet[Any], per_page: int) -> Any:
    return page_of(queryset, per_page, request.GET.get("page"))


@client_required
@replica_reads_view
def services(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    now = timezone.now()
    filterset = ServiceFilterSet(
        request.GET or None, queryset=selectors.client_service_rows_with_deleted(client, now), client=client
    )
    # The product-type options from the provider's catalog in memory (the filter's own queryset,
    # which validates a chosen one, has the same rows), by the name the reader sees.
    catalog = catalog_of(client.provider_id)
    product_types = sorted(((pt.pk, pt.name) for pt in catalog.types.values()), key=lambda pair: (pair[1], pair[0]))
    # Bad filter input: say which field, show nothing rather than an unfiltered list.
    bad = filterset.is_bound and not filterset.is_valid()
    page = _page(request, Service.objects.none() if bad else filterset.qs, SERVICES_PER_PAGE)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "filter_fields": filter_fields_html(filterset.form, {"status": Label.choices, "product_type": product_types}),
        "page": page,
        "rows": ServiceRows(now)(selectors.priced(page.object_list, client, catalog)),
        **_empty_state(request, filterset),
    }
    return render(request, "clientarea/services/list.html", context, status=400 if bad else 200)


def _empty_state(request: HttpRequest, filterset: Any) -> dict[str, Any]:
    """An empty list says why: nothing matches the filter, or nothing was ordered yet."""
    return {
        "filtered": any(request.GET.get(name) for name in filterset.form.fields if name != "ordering"),
        "order_url": _optional("clientarea:order_catalog"),
    }


def _service_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    client = request.client  # type: ignore[attr-defined]
    now = timezone.now()
    # A deleted service stays readable for a while (details and History only: services.rules).
    service = get_object_or_404(selectors.client_services_with_deleted(client, now), pk=pk)
    defined = {p.code: p for p in service.product_type.parameters.all()}
    # Plain values only: structured ones (a domain's contacts and name servers) have their own page;
    # a choice is shown by its label in the reader's language.
    parameters = [
        (defined[code].label, defined[code].shown_value(value)) if code in defined else (code, value)
        for code, value in sorted(service.parameters.items())
        if not isinstance(value, (dict, list))
    ]
    return {
        "service": service,
        "parameters": parameters,
        "addons": display.listed(service.addons.all()),
        "expiration": selectors.expiration_text(service, now),
        "renew_cost": selectors.renew_cost_text(service),
        "abuse_ticket": support_selectors.abuse_ticket_of(service) if service.suspended_for_abuse else None,
        # The page's buttons follow the one rule the actions enforce (services.rules).
        "allowed": allowed_actions(service, now),
        "visible_until": selectors.deleted_visible_until(service),
    }


@client_required
@replica_reads_view
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _service_context(request, pk)
    context["tab"] = "details"
    return render(request, "clientarea/services/detail.html", context)


@client_required
@replica_reads_view
def service_history(request: HttpRequest, pk: int) -> HttpResponse:
    context = _service_context(request, pk)
    events = ServiceEvent.objects.filter(service=context["service"]).order_by("-at", "-id")
    page = _page(request, events, HISTORY_PER_PAGE)
    context.update(
        tab="history",
        page=page,
        events=[(event, event_kind_label(event.kind)) for event in page.object_list],
    )
    return render(request, "clientarea/services/detail.html", context)


@client_required
@replica_reads_view
def service_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status badge; while an operation runs the fragment asks htmx to fetch it again."""
    client = request.client  # type: ignore[attr-defined]
    service = get_object_or_404(Service.objects.for_client(client), pk=pk)
    response = render(request, "clientarea/services/_status.html", {"service": service})
    if not service.operation and request.headers.get("HX-Request"):
        # The operation has ended: reload the page so that expiry, actions and history follow.
        response["HX-Refresh"] = "true"
    return response


@client_required
def finances(request: HttpRequest) -> HttpResponse:
    client = request.client  # type: ignore[attr-defined]
    entries = LedgerEntry.objects.filter(client=client).select_related("service").order_by("-created_at", "-id")
    page = _page(request, entries, LEDGER_PER_PAGE)
    context = {
        "page": page,
        "topup_url": _optional("clientarea:topup"),
        "payment_methods_url": reverse("clientarea:payment_methods") if cards.offered(client) else "",
    }
    return render(request, "clientarea/finances/index.html", context)


def _profile(
    request: HttpRequest, *, form: ApiTokenForm | None = None, raw_token: str = "", status: int = 200
) -> HttpResponse:
    user = _user(request)
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
    recovery = RecoveryCodes.objects.filter(user=user, confirmed=True).first()
    session_rows = sessions.active_sessions(user)
    current = request.session.session_key
    context = {
        "two_factor_enabled": twofactor.is_enabled(user),
        "two_factor_required": twofactor.required_for_client(user),
        "recovery_codes_left": recovery.remaining if recovery is not None else 0,
        "sessions": [(row, row.session_key == current) for row in session_rows],
        "token_form": form or ApiTokenForm(),
        "language_form": LanguageForm(initial={"language": _user(request).language}),
        "tokens": tokens,
        "raw_token": raw_token,
        "members": Membership.objects.filter(client=request.client)  # type: ignore[attr-defined]
        .select_related("user")
        .order_by("role", "user__email"),
    }
    return render(request, "clientarea/profile/index.html", context, status=status)


@client_required
def profile(request: HttpRequest) -> HttpResponse:
    return _profile(request)


@client_required
@require_POST
@reauth_required
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _profile(request, form=form, status=400)
    _token, raw = ApiToken.issue(_user(request), form.cleaned_data["name"])
    # The raw token is in this one response and nowhere else: only its hash is stored.
    return _profile(request, raw_token=raw)


@client_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=_user(request)), pk=pk)
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("clientarea:profile")
