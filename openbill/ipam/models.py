"""IP address management: pools (prefixes) per provider and location, the addresses given to
services, and the DNS servers that hold the reverse zones.

An ``Address`` row exists only for an address that is taken: given to a service (``active``) or
released and waiting out its quarantine (``quarantine`` until ``available_at``). Every other
address of a pool's prefix that is not reserved (network, broadcast, gateway, exclusions) is
free. ``(pool, address)`` is unique: an address is never given twice; allocation takes a row
lock on the pool first, so parallel activations queue instead of failing on the constraint.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openbill.core.crypto import decrypt, encrypt

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DnsServer(models.Model):
    """An authoritative DNS server accepting RFC 2136 updates signed with a TSIG key, for the
    reverse zones of the provider's pools."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="dns_servers")
    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("server address"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=53)
    tsig_key_name = models.CharField(_("TSIG key name"), max_length=253, blank=True)
    tsig_algorithm = models.CharField(_("TSIG algorithm"), max_length=40, default="hmac-sha256")
    tsig_secret_encrypted = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("DNS server")
        verbose_name_plural = _("DNS servers")

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"

    def set_secret(self, secret: str) -> None:
        if secret:
            self.tsig_secret_encrypted = encrypt(secret)

    def get_secret(self) -> str:
        return decrypt(self.tsig_secret_encrypted) if self.tsig_secret_encrypted else ""


class ReverseDnsPolicy(models.Model):
    """The provider's rule for the reverse names its clients set: with ``require_forward`` a
    name is accepted only when it resolves (through ``resolver``, else the system's resolvers)
    to the same address. A provider without a row accepts any host name."""

    provider = models.OneToOneField(
        "clients.Provider", on_delete=models.CASCADE, related_name="reverse_dns_policy", verbose_name=_("provider")
    )
    require_forward = models.BooleanField(
        _("reverse names must resolve to the address"),
        default=False,
        help_text=_("Accept a reverse name only when its A/AAAA record points to the same address."),
    )
    resolver = models.CharField(
        _("resolver for the forward check"),
        max_length=260,
        blank=True,
        help_text=_("host or host:port; empty: the system's resolvers"),
    )

    class Meta:
        verbose_name = _("reverse DNS policy")
        verbose_name_plural = _("reverse DNS policies")

    def __str__(self) -> str:
        return str(self.provider)


def parse_ranges(text: str) -> list[tuple[IPAddress, IPAddress]]:
    """``203.0.113.5, 203.0.113.10-203.0.113.20`` (commas, spaces or lines) → ranges."""
    out: list[tuple[IPAddress, IPAddress]] = []
    for item in text.replace(",", " ").split():
        first, _sep, last = item.partition("-")
        try:
            start = ipaddress.ip_address(first)
            end = ipaddress.ip_address(last) if last else start
        except ValueError:
            raise ValidationError(_("%(item)s is not an address or a range of addresses.") % {"item": item}) from None
        if start.version != end.version or end < start:  # type: ignore[operator]
            raise ValidationError(_("%(item)s is not a valid range.") % {"item": item})
        out.append((start, end))
    return out


class Pool(models.Model):
    """A prefix the provider gives addresses from. It serves the module instances and tariffs
    listed (either matches); with neither listed it serves every virtual server of the provider."""

    provider = models.ForeignKey("clients.Provider", on_delete=models.CASCADE, related_name="ip_pools")
    name = models.CharField(_("name"), max_length=100)
    location = models.CharField(_("location"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=50, help_text=_("203.0.113.0/24 or 2001:db8:10::/48"))
    version = models.PositiveSmallIntegerField(_("IP version"), editable=False, default=4)
    gateway = models.GenericIPAddressField(_("gateway"), null=True, blank=True)
    excluded = models.TextField(
        _("excluded addresses"),
        blank=True,
        help_text=_("Addresses or ranges never given to services: 203.0.113.2, 203.0.113.240-203.0.113.254"),
    )
    modules = models.ManyToManyField(
        "provisioning.ProcessingModule", blank=True, related_name="ip_pools", verbose_name=_("module instances")
    )
    tariffs = models.ManyToManyField(
        "catalog.TariffPlan", blank=True, related_name="ip_pools", verbose_name=_("tariffs")
    )
    reverse_zone = models.CharField(
        _("reverse zone"), max_length=253, blank=True, help_text=_("e.g. 113.0.203.in-addr.arpa")
    )
    dns_server = models.ForeignKey(
        DnsServer, on_delete=models.PROTECT, null=True, blank=True, related_name="pools", verbose_name=_("DNS server")
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("IP pool")
        verbose_name_plural = _("IP pools")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def network(self) -> IPNetwork:
        return ipaddress.ip_network(self.prefix, strict=True)

    def clean(self) -> None:
        try:
            network = ipaddress.ip_network(self.prefix.strip(), strict=True)
        except ValueError:
            raise ValidationError({"prefix": _("Enter a prefix such as 203.0.113.0/24 or 2001:db8::/48.")}) from None
        self.prefix = str(network)
        self.version = network.version
        if self.pk:
            outside = [
                a for a in self.addresses.values_list("address", flat=True) if ipaddress.ip_address(a) not in network
            ]
            if outside:
                raise ValidationError(
                    {
                        "prefix": _("Addresses of this pool are taken outside the new prefix: %(list)s.")
                        % {"list": ", ".join(outside[:5])}
                    }
                )
        if self.gateway and ipaddress.ip_address(self.gateway) not in network:
            raise ValidationError({"gateway": _("The gateway is not in the prefix.")})
        try:
            ranges = parse_ranges(self.excluded)
        except ValidationError as exc:
            raise ValidationError({"excluded": exc.messages}) from None
        for start, end in ranges:
            if start not in network or end not in network:
                raise ValidationError({"excluded": _("%(address)s is not in the prefix.") % {"address": start}})
        if self.provider_id:
            for other in Pool.objects.filter(provider_id=self.provider_id).exclude(pk=self.pk):
                if other.network.version == network.version and other.network.overlaps(network):  # type: ignore[arg-type]
                    raise ValidationError({"prefix": _("The prefix overlaps the pool %(pool)s.") % {"pool": other}})
        if self.reverse_zone:
            self.reverse_zone = self.reverse_zone.strip().rstrip(".").lower()
            first = network.network_address.reverse_pointer
            if not (first == self.reverse_zone or first.endswith("." + self.reverse_zone)):
                raise ValidationError(
                    {"reverse_zone": _("The prefix's reverse names are not in this zone (%(name)s).") % {"name": first}}
                )

    def save(self, *args: Any, **kwargs: Any) -> None:
        network = ipaddress.ip_network(self.prefix.strip(), strict=True)
        self.prefix = str(network)
        self.version = network.version
        super().save(*args, **kwargs)

    # --- the address space ----------------------------------------------------------------------
    def host_range(self) -> tuple[int, int]:
        """The first and last address services may get, as integers: IPv4 skips the network
        and broadcast addresses (except /31 and /32), IPv6 the subnet-router anycast address."""
        network = self.network
        first, last = int(network.network_address), int(network.broadcast_address)
        if network.version == 4 and network.prefixlen <= 30:
            return first + 1, last - 1
        if network.version == 6 and network.prefixlen <= 126:
            return first + 1, last
        return first, last

    def reserved_ranges(self) -> list[tuple[int, int]]:
        """Gateway and exclusions as merged integer ranges inside the host range."""
        first, last = self.host_range()
        ranges = [(int(a), int(b)) for a, b in parse_ranges(self.excluded)]
        if self.gateway:
            gateway = int(ipaddress.ip_address(self.gateway))
            ranges.append((gateway, gateway))
        clipped = sorted((max(a, first), min(b, last)) for a, b in ranges if b >= first and a <= last)
        merged: list[tuple[int, int]] = []
        for a, b in clipped:
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def size(self) -> int:
        """How many addresses services may get from the pool."""
        first, last = self.host_range()
        return max(last - first + 1 - sum(b - a + 1 for a, b in self.reserved_ranges()), 0)

    def first_free(self, taken: set[int]) -> IPAddress | None:
        """NetBox's "next available": the lowest address that is neither reserved nor taken.
        Loops at most once per taken or reserved address."""
        first, last = self.host_range()
        reserved = self.reserved_ranges()
        candidate = first
        while candidate <= last:
            if candidate in taken:
                candidate += 1
                continue
            for a, b in reserved:
                if a <= candidate <= b:
                    candidate = b + 1
                    break
            else:
                return ipaddress.ip_address(candidate)
        return None

    def reverse_name(self, address: IPAddress) -> str:
        return address.reverse_pointer + "."


class AddressState(models.TextChoices):
    ACTIVE = "active", _("Active")
    QUARANTINE = "quarantine", _("Quarantine")


class PtrState(models.TextChoices):
    NONE = "", _("No reverse name")
    PENDING = "pending", _("Pending")
    DONE = "done", _("Set")
    ERROR = "error", _("Error")


class Address(models.Model):
    """An address taken from a pool: a service's (main or additional) or in quarantine."""

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="addresses")
    address = models.GenericIPAddressField(_("address"))
    version = models.PositiveSmallIntegerField(_("IP version"))
    service = models.ForeignKey(
        "services.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="ip_addresses"
    )
    main = models.BooleanField(_("main"), default=False)
    state = models.CharField(_("state"), max_length=12, choices=AddressState.choices, default=AddressState.ACTIVE)
    allocated_at = models.DateTimeField(_("allocated at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    available_at = models.DateTimeField(_("free again at"), null=True, blank=True)
    # Reverse DNS: what the client asked for, what the server holds, and the update's progress.
    ptr_name = models.CharField(_("reverse name"), max_length=253, blank=True)
    ptr_published = models.CharField(max_length=253, blank=True, editable=False)
    ptr_state = models.CharField(_("reverse DNS"), max_length=8, choices=PtrState.choices, blank=True, default="")
    ptr_error = models.TextField(_("reverse DNS error"), blank=True)
    ptr_attempts = models.PositiveIntegerField(default=0, editable=False)
    ptr_next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-main", "version", "pk"]
        verbose_name = _("IP address")
        verbose_name_plural = _("IP addresses")
        constraints = [
            models.UniqueConstraint(fields=["pool", "address"], name="ipam_address_once_per_pool"),
            models.UniqueConstraint(
                fields=["service", "version"],
                condition=Q(main=True, state="active"),
                name="ipam_one_main_per_version",
            ),
            models.CheckConstraint(
                condition=Q(state="quarantine") | Q(service__isnull=False), name="ipam_active_has_service"
            ),
        ]
        indexes = [models.Index(fields=["ptr_state", "ptr_next_attempt_at"], name="ipam_ptr_due")]

    def __str__(self) -> str:
        return self.address

    @property
    def ip(self) -> IPAddress:
        return ipaddress.ip_address(self.address)

    @property
    def reverse_pointer(self) -> str:
        return self.ip.reverse_pointer + "."


def ordered(addresses: Any) -> Iterator[Address]:
    """Addresses in numeric order (the database orders the text)."""
    return iter(sorted(addresses, key=lambda a: (a.version, int(a.ip))))
