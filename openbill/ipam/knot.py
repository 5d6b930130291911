"""A Knot DNS configuration for a DNS server entry: its reverse zones with the reverse names
Openbill has published, accepting RFC 2136 updates signed with the entry's TSIG key. The demo's
entry points at 127.0.0.1:5300, where ``openbill demo-dns`` runs Knot with this configuration;
a provider can start from it for a real server."""

from __future__ import annotations

from pathlib import Path

from .models import Address, DnsServer, Pool


def zone_text(zone: str, pools: list[Pool]) -> str:
    """The reverse zone with an SOA, an NS and the PTR records Openbill holds as published."""
    lines = [
        f"$ORIGIN {zone}.",
        "$TTL 300",
        "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300",
        "@ NS localhost.",
    ]
    rows = Address.objects.filter(pool__in=pools).exclude(ptr_published="").order_by("pk")
    for address in rows:
        lines.append(f"{address.reverse_pointer} PTR {address.ptr_published}.")
    return "\n".join(lines) + "\n"


def write_config(server: DnsServer, folder: Path) -> Path:
    """Write ``knot.conf`` and the zone files into ``folder``; return the configuration's path."""
    folder.mkdir(parents=True, exist_ok=True)
    zones: dict[str, list[Pool]] = {}
    for pool in server.pools.exclude(reverse_zone=""):
        zones.setdefault(pool.reverse_zone, []).append(pool)
    entries = ""
    for zone, pools in sorted(zones.items()):
        (folder / f"{zone}.zone").write_text(zone_text(zone, pools))
        entries += f"  - domain: {zone}\n    file: {zone}.zone\n    acl: update\n"
    key_name = server.tsig_key_name or "openbill"
    config = folder / "knot.conf"
    config.write_text(
        f"""server:
    listen: {server.host}@{server.port}
    rundir: {folder}
    pidfile: {folder}/knot.pid
control:
    listen: {folder}/knot.sock
database:
    storage: {folder}
key:
  - id: {key_name}
    algorithm: {server.tsig_algorithm}
    secret: {server.get_secret()}
acl:
  - id: update
    key: {key_name}
    action: update
template:
  - id: default
    storage: {folder}
zone:
{entries}"""
    )
    return config
