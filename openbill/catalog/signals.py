"""Every change to the catalog gives it a new revision (``CatalogRevision``), in the same
transaction, so the catalogs processes keep in memory (``catalog.selectors.catalog_of``) are
reloaded once the change is committed, and never if it is rolled back."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import (
    Addon,
    AddonEnumItem,
    AddonPrice,
    CatalogRevision,
    PeriodPrice,
    ProductParameter,
    ProductType,
    TariffPlan,
)

REVISED_BY = (ProductType, ProductParameter, TariffPlan, PeriodPrice, Addon, AddonEnumItem, AddonPrice)


def revise(using: str = "default") -> None:
    """Give the catalog a new revision (also for changes made without the models' signals:
    ``QuerySet.update``)."""
    token = uuid4().hex
    if not CatalogRevision.objects.using(using).filter(pk=1).update(token=token):
        CatalogRevision.objects.using(using).update_or_create(pk=1, defaults={"token": token})


def _revised(sender: Any, using: str = "default", **kwargs: Any) -> None:
    revise(using)


def connect() -> None:
    for model in REVISED_BY:
        post_save.connect(_revised, sender=model, dispatch_uid=f"catalog-revision-save-{model.__name__}")
        post_delete.connect(_revised, sender=model, dispatch_uid=f"catalog-revision-delete-{model.__name__}")
    m2m_changed.connect(
        _revised, sender=TariffPlan.changeable_to.through, dispatch_uid="catalog-revision-changeable-to"
    )
