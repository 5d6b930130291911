"""Giving addresses to services, taking them back, and publishing reverse names.

Allocation locks the candidate pools' rows (``select_for_update``, in primary-key order so two
allocations never deadlock) and then reads which addresses are taken: under the lock that read
sees every earlier allocation, so two activations never pick the same address; the unique
``(pool, address)`` constraint is the last guard. No free address → ``NoRoom``, which an
activation turns into Not available (provisioning: the same path as a full server).

A released address waits ``OPENBILL_IP_QUARANTINE_DAYS`` (default 7) before anyone else gets it.
Reverse names are written by the worker (``tasks.publish_ptr``, ``ptr.publish``), never inside a request: the
row says *pending* until the DNS server confirmed, and keeps the server's refusal in plain words.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from openbill.core import dnsupdate
from openbill.core.actors import Actor
from openbill.core.errors import Conflict, DomainError, IllegalTransition
from openbill.core.texts import Text
from openbill.orders.actions import change_service
from openbill.orders.models import OrderLine
from openbill.orders.pricing import quote_change
from openbill.provisioning.modules.base import NoCapacity
from openbill.services import events
from openbill.services.actions import lock
from openbill.services.choices import Status
from openbill.services.models import Service
from openbill.services.selectors import resources_of, with_pricing

from . import tasks
from .models import Address, AddressState, Pool, PtrState, ReverseDnsPolicy
from .ptr import PTR_MAX_ATTEMPTS, publish

__all__ = ["PTR_MAX_ATTEMPTS", "publish"]

# Product kinds whose services get addresses at activation.
SERVED_KINDS = ("vds",)


class NoRoom(Conflict):
    """No pool serving the service has a free address."""

    code = "no_free_address"


def quarantine_days() -> int:
    return int(getattr(settings, "OPENBILL_IP_QUARANTINE_DAYS", 7))


# --- what a service should have -----------------------------------------------------------------
def _count(value: Any, default: int) -> int:
    try:
        return int(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return default


def wanted(service: Any) -> dict[int, int]:
    """How many addresses of each version the service should hold: the main IPv4 plus the
    ``ipv4`` add-on's quantity (additional IPv4 addresses); an ``ipv6`` add-on above zero gives
    it one IPv6 address."""
    if service.product_type.kind not in SERVED_KINDS:
        return {4: 0, 6: 0}

    resources = resources_of(service)
    return {4: 1 + max(_count(resources.get("ipv4", 0), 0), 0), 6: 1 if _count(resources.get("ipv6", 0), 0) > 0 else 0}


def _additional_v4(service: Any) -> int:
    """The service's additional IPv4 addresses now (all its IPv4 but the main one)."""
    count = Address.objects.filter(service=service, version=4, state=AddressState.ACTIVE).count()
    return max(count - 1, 0)


def pools_for(service: Any, version: int, *, module_id: int | None = None) -> list[Pool]:
    """The enabled pools that serve the service, the most specific first: those listing its
    module instance, then those listing its tariff, then those listing neither."""
    module_id = module_id if module_id is not None else service.module_id
    pools = list(
        Pool.objects.filter(provider_id=service.client.provider_id, version=version, enabled=True).prefetch_related(
            "modules", "tariffs"
        )
    )
    ranked = []
    for pool in pools:
        modules = {m.pk for m in pool.modules.all()}
        tariffs = {t.pk for t in pool.tariffs.all()}
        if module_id is not None and module_id in modules:
            ranked.append((0, pool.pk, pool))
        elif service.tariff_id in tariffs:
            ranked.append((1, pool.pk, pool))
        elif not modules and not tariffs:
            ranked.append((2, pool.pk, pool))
    return [pool for _rank, _pk, pool in sorted(ranked, key=lambda r: (r[0], r[1]))]


def taken(pool: Pool, now: datetime) -> set[int]:
    """The pool's addresses nobody else may get now (active, or in quarantine)."""
    rows = Address.objects.filter(pool=pool).filter(
        Q(state=AddressState.ACTIVE) | Q(state=AddressState.QUARANTINE, available_at__gt=now)
    )
    return {int(ipaddress.ip_address(a)) for a in rows.values_list("address", flat=True)}


def has_room(service: Any, *, module_id: int | None = None, now: datetime) -> bool:
    """Whether the pools serving the service can give what it lacks (no lock: a hint for the
    Not available sweep; allocation decides under the lock)."""
    for version, count in wanted(service).items():
        have = Address.objects.filter(service=service, version=version, state=AddressState.ACTIVE).count()
        missing = count - have
        pools = pools_for(service, version, module_id=module_id)
        for pool in pools:
            if missing <= 0:
                break
            missing -= min(missing, pool.size() - len(taken(pool, now) | _stale(pool, now)))
        if pools and missing > 0:
            return False
    return True


# --- allocation ---------------------------------------------------------------------------------
def _take(service: Any, version: int, pools: list[Pool], *, main: bool, now: datetime) -> Address:
    for pool in pools:
        # Quarantine over: the row goes, the address is free again (its PTR was removed at release).
        Address.objects.filter(
            pool=pool, state=AddressState.QUARANTINE, available_at__lte=now, ptr_published=""
        ).delete()
        free = pool.first_free(taken(pool, now) | _stale(pool, now))
        if free is None:
            continue
        return Address.objects.create(
            pool=pool, address=str(free), version=version, service=service, main=main, allocated_at=now
        )
    raise NoRoom(_("No IPv%(version)s address is free for this service.") % {"version": version})


def _stale(pool: Pool, now: datetime) -> set[int]:
    """Addresses whose quarantine is over but whose old reverse name is not removed yet."""
    rows = Address.objects.filter(pool=pool, state=AddressState.QUARANTINE, available_at__lte=now).exclude(
        ptr_published=""
    )
    return {int(ipaddress.ip_address(a)) for a in rows.values_list("address", flat=True)}


def _lock_pools(pools: list[Pool]) -> None:
    """One lock per pool, in primary-key order (two allocations never wait on each other crosswise)."""
    ids = sorted({pool.pk for pool in pools})
    list(Pool.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def serves(service: Any, version: int = 4, *, module_id: int | None = None) -> bool:
    """Whether any enabled pool gives addresses of ``version`` to the service."""
    return bool(pools_for(service, version, module_id=module_id))


def take_one(service: Any, *, now: datetime, actor: Actor, version: int = 4, note: Text | None = None) -> Address | None:
    """One more address for the service, not its main one: a virtual data center's machine
    takes its public address this way. None when no pool serves the service; NoRoom (nothing
    taken) when those serving it are full. Runs in the caller's transaction when there is one."""
    pools = pools_for(service, version)
    if not pools:
        return None
    with transaction.atomic():
        _lock_pools(pools)
        address = _take(service, version, pools, main=False, now=now)
        events.record(
            service, "addresses assigned", actor=actor, now=now, note=note or Text.verbatim(address.address)
        )
    return address


def allocate(service: Any, *, now: datetime, actor: Actor, module_id: int | None = None) -> list[Address]:
    """Give the service the addresses it lacks (``wanted``); idempotent.
    Runs in the caller's transaction when there is one; raises NoRoom (nothing given) when the
    pools serving it cannot provide. A version that no pool serves is left alone."""
    made: list[Address] = []
    with transaction.atomic():
        counts = wanted(service)
        # A version no pool serves is not managed here (a provider without pools is unaffected).
        plans = {version: pools_for(service, version, module_id=module_id) for version in (4, 6) if counts[version]}
        plans = {version: pools for version, pools in plans.items() if pools}
        _lock_pools([pool for pools in plans.values() for pool in pools])
        for version, pools in plans.items():
            current = list(Address.objects.filter(service=service, version=version, state=AddressState.ACTIVE))
            has_main = any(a.main for a in current)
            for _n in range(counts[version] - len(current)):
                made.append(_take(service, version, pools, main=not has_main, now=now))
                has_main = True
        if made:
            events.record(
                service,
                "addresses assigned",
                actor=actor,
                now=now,
                note=Text("list", items=[a.address for a in made]),
            )
    return made


def allocate_for_activation(service_id: int, *, module_id: int | None, now: datetime, actor: Actor) -> None:
    """Activation: the main IPv4 (and IPv6 when the tariff has it) before the module is called.
    Raises provisioning's NoCapacity when a pool is full: the service becomes Not available."""
    service = Service.objects.select_related("client", "tariff", "product_type").get(pk=service_id)
    try:
        allocate(service, now=now, actor=actor, module_id=module_id)
    except NoRoom as exc:
        raise NoCapacity(str(exc)) from None


def release(address: Address, *, now: datetime, actor: Actor, note: Text | None = None) -> None:
    """Take the address back: quarantine starts, and its reverse name is removed."""
    published = Address.objects.filter(pk=address.pk).values_list("ptr_published", flat=True).first()
    changed = Address.objects.filter(pk=address.pk, state=AddressState.ACTIVE).update(
        state=AddressState.QUARANTINE,
        main=False,
        released_at=now,
        available_at=now + timedelta(days=quarantine_days()),
        ptr_name="",
        ptr_state=PtrState.PENDING if published else PtrState.NONE,
        ptr_error="",
        ptr_attempts=0,
        ptr_next_attempt_at=now if published else None,
    )
    if not changed:
        return
    if address.service is not None:
        events.record(
            address.service,
            "address released",
            actor=actor,
            now=now,
            note=note or Text("list", items=[address.address]),
        )
    if published:
        _publish_after_commit(address.pk)


def release_service(service_id: int, *, now: datetime, actor: Actor) -> int:
    """Every address of a deleted service goes to quarantine."""
    released = 0
    for address in Address.objects.filter(service_id=service_id, state=AddressState.ACTIVE).select_related("service"):
        release(address, now=now, actor=actor, note=Text("address_service_deleted", address=address.address))
        released += 1
    return released


# --- additional addresses (an add-on of the tariff, through the change flow) -----------------------
def _ipv4_addon(service: Any) -> Any:
    """The tariff's add-on of additional IPv4 addresses; only virtual servers order them here
    (a data center's ``ipv4`` add-on is its pool of public addresses, taken by its machines)."""
    if service.product_type.kind not in SERVED_KINDS:
        return None
    return service.tariff.addons.filter(resource="ipv4").first()


def sells_additional_ipv4(service: Any) -> bool:
    """Whether the service's tariff sells additional IPv4 addresses (an ``ipv4`` add-on)."""
    return _ipv4_addon(service) is not None


def quote_additional(service: Any, *, now: datetime, delta: int) -> Any:
    """The change flow's quote for ``delta`` more (or fewer) IPv4 addresses."""
    addon = _ipv4_addon(service)
    if addon is None:
        raise DomainError(_("This tariff has no additional IPv4 addresses."), field="version")
    priced = with_pricing(Service.objects.filter(pk=service.pk)).get()
    return quote_change(priced, now=now, addons={"ipv4": Decimal(_additional_v4(service) + delta)})


def order_additional(
    service: Any, *, actor: Actor, now: datetime, request_key: str = "", expected_total: Decimal | None = None
) -> Address:
    """Order one more IPv4 address: the ``ipv4`` add-on (additional IPv4 addresses) grows by
    one through the change flow
    (prorated charge, the module reconfigured), and the address is taken in the same
    transaction: no free address → nothing charged. A repeated ``request_key`` returns the
    address the first request gave."""
    if _ipv4_addon(service) is None:
        raise DomainError(_("This tariff has no additional IPv4 addresses."), field="version")
    with transaction.atomic():
        locked = lock(service)
        if request_key and OrderLine.objects.filter(client_id=locked.client_id, request_key=request_key).exists():
            # The same request again: it was done; answer with the newest address.
            latest = Address.objects.filter(service=locked, version=4, state=AddressState.ACTIVE).order_by("-pk")
            first = latest.first()
            if first is not None:
                return first
        change_service(
            locked,
            actor=actor,
            now=now,
            addons={"ipv4": Decimal(_additional_v4(locked) + 1)},
            request_key=request_key,
            expected_total=expected_total,
        )
        made = allocate(locked, now=now, actor=actor)
        if not made:  # no pool serves the service
            raise NoRoom(_("No IPv%(version)s address is free for this service.") % {"version": 4})
        return made[-1]


def delete_additional(address: Address, *, actor: Actor, now: datetime) -> None:
    """Give back an additional address: the ``ipv4`` add-on shrinks by one (the credit of the
    change flow); never the main address, never the last one."""
    if address.service_id is None:
        raise IllegalTransition(_("The address is released."))
    with transaction.atomic():
        service = lock(address.service_id)
        address = Address.objects.select_for_update().get(pk=address.pk)
        if address.state != AddressState.ACTIVE:
            raise IllegalTransition(_("The address is already released."))
        active = Address.objects.filter(service=service, state=AddressState.ACTIVE)
        if service.product_type.kind not in SERVED_KINDS:
            raise IllegalTransition(_("This address belongs to a machine: it is released when the machine is deleted."))
        if address.main:
            raise IllegalTransition(_("The main address cannot be deleted."))
        if active.count() <= 1:
            raise IllegalTransition(_("The last address cannot be deleted."))
        if address.version == 4 and _ipv4_addon(service) is not None:
            change_service(service, actor=actor, now=now, addons={"ipv4": Decimal(_additional_v4(service) - 1)})
        release(address, now=now, actor=actor)


# --- reverse DNS --------------------------------------------------------------------------------
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_ptr_name(address: Address, name: str) -> str:
    """A host name (≤ 253 characters, labels of letters, digits and hyphens), optionally
    required to resolve to the address (the provider's reverse DNS policy). Empty: no reverse name."""
    name = name.strip().lower().rstrip(".")
    if not name:
        return ""
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise DomainError(_("Enter a host name such as server.example.com (at most 253 characters)."), field="ptr_name")
    policy = ReverseDnsPolicy.objects.filter(provider_id=address.pool.provider_id).first()
    if policy is not None and policy.require_forward:
        try:
            found = dnsupdate.resolve(policy.resolver, name, "A" if address.version == 4 else "AAAA")
        except dnsupdate.DnsUpdateError:
            found = []
        if not any(ipaddress.ip_address(value) == address.ip for value in found):
            raise DomainError(
                _("%(name)s does not resolve to %(address)s: add that record to its zone first.")
                % {"name": name, "address": address.address},
                field="ptr_name",
            )
    return name


def set_ptr(address: Address, name: str, *, actor: Actor, now: datetime) -> Address:
    """Ask for a new reverse name (empty: remove it); the worker writes it to the DNS server."""
    if address.state != AddressState.ACTIVE:
        raise IllegalTransition(_("The address is released."))
    if address.pool.dns_server_id is None or not address.pool.reverse_zone:
        raise DomainError(_("Reverse names cannot be set for this address."), field="ptr_name")
    name = clean_ptr_name(address, name)
    with transaction.atomic():
        changed = Address.objects.filter(pk=address.pk, state=AddressState.ACTIVE).update(
            ptr_name=name, ptr_state=PtrState.PENDING, ptr_error="", ptr_attempts=0, ptr_next_attempt_at=now
        )
        if not changed:
            raise IllegalTransition(_("The address is released."))
        if address.service is not None:
            events.record(
                address.service,
                "reverse name changed",
                actor=actor,
                now=now,
                note=Text("reverse_name", address=address.address, name=name or "—"),
            )
        _publish_after_commit(address.pk)
    address.refresh_from_db()
    return address


def _publish_after_commit(address_id: int) -> None:
    transaction.on_commit(lambda: tasks.publish_ptr.enqueue(address_id))


# --- sweeps -------------------------------------------------------------------------------------
def release_deleted(*, now: datetime, limit: int = 500) -> int:
    """Addresses still held by deleted services (any path to deletion) go to quarantine."""
    ids = list(
        Address.objects.filter(state=AddressState.ACTIVE, service__status=Status.DELETED)
        .values_list("service_id", flat=True)
        .distinct()[:limit]
    )
    return sum(release_service(pk, now=now, actor=Actor.system("addresses sweep")) for pk in ids)


def release_surplus(*, now: datetime, limit: int = 500) -> int:
    """Additional IPv4 addresses a service no longer pays for go to quarantine: when staff
    cancel the reconfiguration of an order, the change flow reverses its money and the add-on
    (orders.actions.revert_change); the address it gave goes here. Only services with no
    operation running are looked at, the newest surplus address first."""
    released = 0
    ids = (
        Address.objects.filter(
            state=AddressState.ACTIVE,
            version=4,
            main=False,
            service__operation="",
            service__product_type__kind__in=SERVED_KINDS,
        )
        .exclude(service__status=Status.DELETED)
        .values_list("service_id", flat=True)
        .distinct()[:limit]
    )
    for service in Service.objects.filter(pk__in=list(ids)).select_related("client", "tariff", "product_type"):
        extra = Address.objects.filter(service=service, version=4, state=AddressState.ACTIVE).order_by("-main", "pk")
        surplus = list(extra)[wanted(service)[4] :]
        for address in reversed(surplus):
            if not address.main:
                release(address, now=now, actor=Actor.system("addresses sweep"))
                released += 1
    return released


def due_ptr_updates(*, now: datetime, limit: int = 500) -> list[int]:
    return list(
        Address.objects.filter(ptr_state=PtrState.PENDING)
        .filter(Q(ptr_next_attempt_at__isnull=True) | Q(ptr_next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def purge_quarantine(*, now: datetime) -> int:
    """Forget addresses whose quarantine is over and whose reverse name is gone."""
    deleted, _rows = Address.objects.filter(
        state=AddressState.QUARANTINE, available_at__lte=now, ptr_published="", ptr_state=PtrState.NONE
    ).delete()
    return deleted
