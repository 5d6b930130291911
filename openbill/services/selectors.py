"""Read queries about services, always scoped to a client first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from openbill.billing.rules import spread
from openbill.catalog.instructions import CERTIFICATE_FIELDS, shows_certificate
from openbill.catalog.models import AddonPrice, PeriodPrice
from openbill.catalog.pricing import tariff_period_amount, tariff_period_parts
from openbill.catalog.selectors import Catalog, catalog_of
from openbill.core.formats import format_day
from openbill.core.money import format_money
from openbill.core.statements import Columns, quoted
from openbill.core.timeutil import PERIOD_SUFFIX, Period, local_date

from .choices import Status
from .models import Service, ServiceAddon


def with_pricing(queryset: QuerySet[Service]) -> QuerySet[Service]:
    """Everything ``renewal_amount`` and the lists need, in a fixed number of queries."""
    return queryset.select_related("client__provider", "tariff", "product_type").prefetch_related(
        Prefetch("tariff__prices", queryset=PeriodPrice.objects.order_by("id")),
        Prefetch(
            "addons",
            queryset=ServiceAddon.objects.select_related("addon", "enum_item").prefetch_related(
                Prefetch("addon__prices", queryset=AddonPrice.objects.all())
            ),
        ),
    )


_KEEP = tuple(
    model._meta.get_field(name).set_cached_value  # type: ignore[union-attr]
    for model, name in (
        (Service, "client"),
        (Service, "tariff"),
        (Service, "product_type"),
        (ServiceAddon, "addon"),
        (ServiceAddon, "enum_item"),
    )
)


def priced(services: Iterable[Service], client: Any, catalog: Catalog | None = None) -> list[Service]:
    """One page of ``client``'s rows (as the table has them: no joins) with everything ``renewal_amount`` and
    the row need: the tariffs, product types and add-ons from the provider's catalog as this
    process keeps it (``catalog.selectors.catalog_of``: one short read to know it is current),
    and the rows' add-on lines in one query (``Service.addon_lines``). The same answer as
    ``with_pricing``. A row whose catalog objects are not in the client's provider's catalog gets
    them from the database."""
    rows = list(services)
    catalog = catalog or catalog_of(client.provider_id)
    strays: list[Service] = []
    # Each object is the one its row's id names: kept as the row's related object directly
    # (what assigning it does, less the checks, about 25 rows × 5 objects a page).
    keep_client, keep_tariff, keep_type, keep_addon, keep_item = _KEEP
    for service in rows:
        if service.client_id == client.pk:
            keep_client(service, client)
        tariff, product_type = catalog.tariffs.get(service.tariff_id), catalog.types.get(service.product_type_id)
        if tariff is None or product_type is None:
            strays.append(service)
            continue
        keep_tariff(service, tariff)
        keep_type(service, product_type)
    if strays:
        prefetch_related_objects(
            strays, "product_type", Prefetch("tariff__prices", queryset=PeriodPrice.objects.order_by("id"))
        )
    lines_of = addon_lines_of([service.pk for service in rows])
    stray_lines: list[ServiceAddon] = []
    for service in rows:
        service.keep_addon_lines(lines_of[service.pk])
        for line in lines_of[service.pk]:
            addon = catalog.addons.get(line.addon_id)
            item = catalog.items.get(line.enum_item_id) if line.enum_item_id else None
            if addon is None or (line.enum_item_id and item is None):
                stray_lines.append(line)
                continue
            keep_addon(line, addon)
            keep_item(line, item)
    if stray_lines:
        prefetch_related_objects(stray_lines, "addon__prices", "enum_item")
    return rows


def addon_lines_of(service_ids: list[int]) -> dict[int, list[ServiceAddon]]:
    """Each service's add-on lines, by id: one fixed statement for a page (about 125 lines for 25
    servers), whose building and compiling through the ORM cost as much as reading them."""
    lines_of: dict[int, list[ServiceAddon]] = {pk: [] for pk in service_ids}
    if not service_ids:
        return lines_of
    alias = router.db_for_read(ServiceAddon)
    if (columns := _LINE_COLUMNS.get(alias)) is None:
        columns = _LINE_COLUMNS[alias] = Columns(alias, ServiceAddon)
    marks = ", ".join(["%s"] * len(lines_of))
    sql = (
        f"SELECT {columns.select} FROM {quoted(alias, ServiceAddon)} "  # noqa: S608 (its own table; ids are parameters)
        f"WHERE {quoted(alias, ServiceAddon, 'service')} IN ({marks}) ORDER BY {quoted(alias, ServiceAddon, 'id')}"
    )
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, list(lines_of))
        rows = cursor.fetchall()
    for row in rows:
        (line,) = columns.instances(row)
        lines_of[line.service_id].append(line)
    return lines_of


_LINE_COLUMNS: dict[str, Columns] = {}


def keep_certificates(rows: list[Service]) -> None:
    """For a list that asks each row whether it offers its manual (``rules.allowed_actions``):
    the certificates of the rows whose manual shows one's expiry (``certificate_until``), read
    in one query with the fields the manual reads; no other row's certificate is read. (Joining
    every row's certificate carried each SSL service's PEMs and encrypted key into every list.)"""
    shows: dict[int, bool] = {}
    wanted = []
    for service in rows:
        product_type = service.product_type
        if (shown := shows.get(product_type.pk)) is None:
            shown = shows[product_type.pk] = shows_certificate(product_type)
        if shown:
            wanted.append(service)
    if not wanted:
        return
    relation: Any = Service._meta.get_field("certificate")  # the reverse one-to-one
    certificates = relation.related_model.objects.filter(service_id__in=[service.pk for service in wanted])
    found = {c.service_id: c for c in certificates.only("id", "service_id", *CERTIFICATE_FIELDS)}
    for service in wanted:
        relation.set_cached_value(service, found.get(service.pk))


def resources_of(service: Service) -> dict[str, Any]:
    """The service's size: its add-on lines, the tariff's minimum where it has none."""
    resources: dict[str, Any] = {}
    for addon in service.tariff.addons.all():
        if addon.value_type != "enum":
            resources[addon.resource] = str(max(addon.minimum, addon.included).normalize())
    for line in service.addons.select_related("addon", "enum_item"):
        resources[line.addon.resource] = line.enum_item.code if line.enum_item else str(line.quantity.normalize())
    return resources


def client_services(client: Any) -> QuerySet[Service]:
    return with_pricing(Service.objects.for_client(client))


def client_service_rows(client: Any) -> QuerySet[Service]:
    """``client_services`` for a list: ``priced`` the page it shows."""
    return Service.objects.for_client(client)


def client_services_with_deleted(client: Any, now: datetime | None = None) -> QuerySet[Service]:
    """The client's services as Goods/Services lists them: with those deleted in the last
    ``OPENBILL_DELETED_VISIBLE_DAYS`` days (read-only, with their History)."""
    # The page offers an SSL service's certificate for download: joined here.
    return with_pricing(client_service_rows_with_deleted(client, now)).select_related("certificate")


def client_service_rows_with_deleted(client: Any, now: datetime | None = None) -> QuerySet[Service]:
    """``client_services_with_deleted`` for a list: ``priced`` the page it shows."""
    since = (now or timezone.now()) - timedelta(days=settings.OPENBILL_DELETED_VISIBLE_DAYS)
    return Service.objects.for_client_with_deleted(client, since)


def deleted_visible_until(service: Service) -> datetime | None:
    """The last moment a deleted service's page stays visible to its client."""
    if service.status != Status.DELETED or service.deleted_at is None:
        return None
    return service.deleted_at + timedelta(days=settings.OPENBILL_DELETED_VISIBLE_DAYS)


def active_services(client: Any) -> QuerySet[Service]:
    """The dashboard's Active Services: running or stopped services that the client has paid for."""
    return with_pricing(active_service_rows(client))


def active_service_rows(client: Any) -> QuerySet[Service]:
    """``active_services`` for a list: ``priced`` the rows it shows."""
    statuses = [Status.ACTIVE, Status.SUSPENDED]
    return client_service_rows(client).filter(status__in=statuses).order_by("expires_at", "id")


def renewal_amount(service: Service, period: str | None = None) -> Decimal | None:
    """The tariff's current price for one period with the service's add-ons (unrounded)."""
    lines = [(line.addon, line.quantity, line.enum_item) for line in service.addon_lines()]
    return tariff_period_amount(service.tariff, period or service.period, lines)


def renewal_components(service: Service, period: str, paid: Decimal) -> dict[str, str]:
    """What a period charge of ``paid`` (before tax, after any discount) paid for each part of
    the service: ``paid`` spread over the catalog's parts (``billing.rules.spread``)."""
    lines = [(line.addon, line.quantity, line.enum_item) for line in service.addon_lines()]
    parts = tariff_period_parts(service.tariff, period, lines) or {}
    return spread(parts, paid, service.client.currency)


def renew_cost_text(service: Service, period: str | None = None) -> str:
    """ "1.00 USD/day", "500 USD/year" (the seed's Renew column)."""
    period = period or service.period
    return cost_text(renewal_amount(service, period), service.client.currency, period)


class RenewCosts:
    """``renewal_amount`` and ``renew_cost_text`` of a page's rows, worked out once per
    configuration (tariff, period, currency and add-on lines): a page's rows share a few. Make one
    per request (the wording follows its language); it trusts the rows' catalog objects to be
    the same for one tariff or add-on id, as ``priced`` gives them."""

    def __init__(self) -> None:
        self.known: dict[tuple[Any, ...], tuple[Decimal | None, str]] = {}

    def __call__(self, service: Service) -> tuple[Decimal | None, str]:
        currency = service.client.currency
        lines = tuple((line.addon_id, line.quantity, line.enum_item_id) for line in service.addon_lines())
        key = (service.tariff_id, service.period, currency, lines)
        if (found := self.known.get(key)) is None:
            amount = renewal_amount(service)
            found = self.known[key] = (amount, cost_text(amount, currency, service.period))
        return found


def cost_text(amount: Decimal | None, currency: str, period: str) -> str:
    """An amount per period as ``renew_cost_text`` words it ("" without an amount)."""
    if amount is None:
        return ""
    return f"{format_money(amount, currency)}/{PERIOD_SUFFIX[Period(period)]}"


def expiration_text(service: Service, now: datetime) -> str:
    """ "Expires 2025-08-07" while it runs, "Stopped 2025-07-01" once expired (the seed), and
    "Paid until 2025-08-07" for a service stopped for another reason before its paid period ends;
    the date in the reader's format (core.formats: "Vence el 07/08/2025" in Spanish)."""
    tz = service.client.provider.tz
    moment = service.expires_at
    if moment is None:
        return ""
    day = format_day(local_date(moment, tz))
    if service.is_stopped(now):
        return _("Stopped %(date)s") % {"date": day}
    if service.status == Status.SUSPENDED:
        return _("Paid until %(date)s") % {"date": day}
    return _("Expires %(date)s") % {"date": day}
