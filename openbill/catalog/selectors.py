"""Read queries about the catalog.

``catalog_of(provider_id)``: a provider's whole catalog (product types, tariffs with their
prices, add-ons with their prices and choices), kept in this process's memory until the
catalog's revision changes (``CatalogRevision``, given a new token with every change). A list
page then prices its rows from memory, reading one short row to know the catalog is current,
instead of joining and loading the same tariffs and add-ons on every request. The objects are
shared by every request of the process: read them, never change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Prefetch, prefetch_related_objects

from .models import Addon, AddonEnumItem, AddonPrice, CatalogRevision, PeriodPrice, ProductType, TariffPlan


@dataclass(frozen=True)
class Catalog:
    """A provider's catalog by id; each object's prices (and an add-on's choices) are loaded."""

    types: dict[int, ProductType] = field(default_factory=dict)
    tariffs: dict[int, TariffPlan] = field(default_factory=dict)
    addons: dict[int, Addon] = field(default_factory=dict)
    items: dict[int, AddonEnumItem] = field(default_factory=dict)


_loaded: dict[tuple[str, int], tuple[str, Catalog]] = {}


def revision() -> str:
    """The catalog's current revision token ("" before any change), from the database the
    catalog is read from (the replica for a page that reads there)."""
    alias = router.db_for_read(CatalogRevision)
    table = CatalogRevision._meta.db_table
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT token FROM {table} WHERE id = 1")  # noqa: S608 (the model's own table)
        row = cursor.fetchone()
    return row[0] if row else ""


def catalog_of(provider_id: int) -> Catalog:
    """``provider_id``'s catalog: from memory while the revision is the one it was loaded at."""
    token = revision()  # first: a catalog loaded after it is at least as new as it
    alias = router.db_for_read(TariffPlan)
    kept = _loaded.get((alias, provider_id))
    if kept is not None and kept[0] == token:
        return kept[1]
    catalog = _load(provider_id)
    _loaded[(alias, provider_id)] = (token, catalog)
    return catalog


def _load(provider_id: int) -> Catalog:
    types = {t.pk: t for t in ProductType.objects.filter(provider_id=provider_id)}
    tariffs = {t.pk: t for t in TariffPlan.objects.filter(product_type__provider_id=provider_id)}
    addons = {a.pk: a for a in Addon.objects.filter(tariff__product_type__provider_id=provider_id)}
    prefetch_related_objects(list(tariffs.values()), Prefetch("prices", queryset=PeriodPrice.objects.order_by("id")))
    prefetch_related_objects(
        list(addons.values()),
        Prefetch("prices", queryset=AddonPrice.objects.order_by("id")),
        Prefetch("items", queryset=AddonEnumItem.objects.order_by("position", "id")),
    )
    for tariff in tariffs.values():
        tariff.product_type = types[tariff.product_type_id]
    items: dict[int, AddonEnumItem] = {}
    for addon in addons.values():
        addon.tariff = tariffs[addon.tariff_id]
        for item in addon.items.all():
            items[item.pk] = item
    return Catalog(types=types, tariffs=tariffs, addons=addons, items=items)
