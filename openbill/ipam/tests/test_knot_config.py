"""The Knot configuration written for a DNS server entry (what ``openbill demo-dns`` runs): a
real knotd started from it answers the names Openbill published and takes Openbill's updates."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import dns.exception
import dns.resolver
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.ipam import actions as ipam
from openbill.ipam.knot import write_config
from openbill.ipam.models import Address, DnsServer, PtrState
from openbill.provisioning.tests.pebble import free_port

from .conftest import make_pool

ZONE = "113.0.203.in-addr.arpa"


def ask(port: int, name: str) -> list[str]:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    try:
        return [r.to_text() for r in resolver.resolve(name, "PTR", lifetime=2)]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []


def test_knot_from_the_written_configuration_serves_and_takes_updates(
    tmp_path: Path, provider: Any, alice: Any, vps_plan: Any
) -> None:
    server = DnsServer(provider=provider, name="Local", host="127.0.0.1", port=free_port(), tsig_key_name="ob-test")
    server.set_secret("ZGVtby1vbmx5LWtleS1kZW1vLW9ubHkta2V5LWRlbW8=")
    server.save()
    make_pool(provider, "203.0.113.0/29", gateway="203.0.113.1", reverse_zone=ZONE, dns_server=server)
    service = f.service(alice, vps_plan)
    ipam.allocate(service, now=timezone.now(), actor=Actor.system("t"))
    address = Address.objects.select_related("pool__dns_server", "service").get(service=service)
    Address.objects.filter(pk=address.pk).update(ptr_name="old.example.test", ptr_published="old.example.test")

    config = write_config(server, tmp_path)
    knot = subprocess.Popen(["knotd", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = ask(server.port, "2.113.0.203.in-addr.arpa")
                break
            except dns.exception.DNSException:
                assert time.monotonic() < deadline and knot.poll() is None, "knotd did not start"
                time.sleep(0.1)
        assert answer == ["old.example.test."]

        address.refresh_from_db()
        ipam.set_ptr(address, "new.example.test", actor=Actor.system("t"), now=timezone.now())
        assert ipam.publish(address.pk, now=timezone.now()) == "done"
        assert ask(server.port, "2.113.0.203.in-addr.arpa") == ["new.example.test."]
        assert Address.objects.get(pk=address.pk).ptr_state == PtrState.DONE
    finally:
        knot.terminate()
        knot.wait(timeout=10)
