"""Reads of ipam: a service's addresses, pools with their use, addresses for staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Address, AddressState, Pool, ordered


def service_addresses(service_id: int) -> list[Address]:
    """A service's current addresses: the main IPv4 first, then by version and number."""
    rows = Address.objects.filter(service_id=service_id, state=AddressState.ACTIVE).select_related("pool")
    return sorted(ordered(rows), key=lambda a: (a.version, not a.main))


def spec_addresses(service_id: int) -> list[dict[str, Any]]:
    """What a module receives (ServiceSpec.addresses)."""
    return [
        {
            "address": a.address,
            "version": a.version,
            "main": a.main,
            "prefix_length": a.pool.network.prefixlen,
            "gateway": a.pool.gateway or "",
        }
        for a in service_addresses(service_id)
    ]


@dataclass(frozen=True)
class PoolUse:
    pool: Pool
    size: int
    active: int
    quarantine: int

    @property
    def used(self) -> int:
        return self.active + self.quarantine

    @property
    def free(self) -> int:
        return max(self.size - self.used, 0)

    @property
    def percent(self) -> str:
        """Share of the pool in use, one decimal ("0.0" for a large IPv6 pool)."""
        if not self.size:
            return "100.0"
        return f"{100 * self.used / self.size:.1f}"


def pools_with_use(provider_id: int | None = None) -> list[PoolUse]:
    pools: QuerySet[Pool] = Pool.objects.select_related("provider", "dns_server").annotate(
        n_active=Count("addresses", filter=Q(addresses__state=AddressState.ACTIVE)),
        n_quarantine=Count("addresses", filter=Q(addresses__state=AddressState.QUARANTINE)),
    )
    if provider_id is not None:
        pools = pools.filter(provider_id=provider_id)
    return [
        PoolUse(pool=p, size=p.size(), active=p.n_active, quarantine=p.n_quarantine)  # type: ignore[attr-defined]
        for p in pools.order_by("provider__name", "name", "pk")
    ]


def pool_addresses(pool: Pool) -> list[Address]:
    return list(ordered(Address.objects.filter(pool=pool).select_related("service__client")))
