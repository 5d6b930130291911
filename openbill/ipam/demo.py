"""Demo data of ipam: an IPv4 and an IPv6 pool on the demo's libvirt node, a DNS server entry
for their reverse zones, and the addresses of every live virtual server (alice's web server has
an additional one) with reverse names.

The DNS server entry points at 127.0.0.1:5300 with the TSIG key ``openbill-demo``: that is the
Knot DNS ``openbill demo-dns`` runs, its zones holding the names recorded here as published. With
it running, a name changed in the demo is written by the worker and answered by the server;
without it the change stays *pending* while the worker retries, then says the server did not
answer."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from openbill.catalog.models import ProductKind
from openbill.core.actors import Actor
from openbill.services.choices import Status
from openbill.services.models import Service

from . import actions
from .models import Address, DnsServer, Pool, PtrState

DEMO = Actor.system("demo")
DEMO_DNS_PORT = 5300  # openbill demo-dns


def extend(demo: Any) -> None:
    dns = DnsServer.objects.create(
        provider=demo.provider,
        name="Demo reverse DNS",
        host="127.0.0.1",
        port=DEMO_DNS_PORT,
        tsig_key_name="openbill-demo",
    )
    dns.set_secret("ZGVtby1vbmx5LWtleS1kZW1vLW9ubHkta2V5LWRlbW8=")
    dns.save()
    # The data centers' pool (vdc.demo, built before this) holds its reverse zone here too.
    Pool.objects.filter(provider=demo.provider, dns_server__isnull=True).exclude(reverse_zone="").update(dns_server=dns)
    v4 = Pool(
        provider=demo.provider,
        name="Amsterdam public IPv4",
        location="Amsterdam",
        prefix="203.0.113.0/24",
        gateway="203.0.113.1",
        excluded="203.0.113.2-203.0.113.9, 203.0.113.255",
        reverse_zone="113.0.203.in-addr.arpa",
        dns_server=dns,
    )
    v4.full_clean()
    v4.save()
    v6 = Pool(
        provider=demo.provider,
        name="Amsterdam IPv6",
        location="Amsterdam",
        prefix="2001:db8:10::/48",
        gateway="2001:db8:10::1",
        reverse_zone="0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        dns_server=dns,
    )
    v6.full_clean()
    v6.save()
    node = getattr(demo, "libvirt_node", None)
    if node is not None:
        v4.modules.set([node])
        v6.modules.set([node])
    Pool.objects.create(
        provider=demo.provider, name="Frankfurt public IPv4 (empty)", location="Frankfurt", prefix="198.51.100.0/26"
    ).modules.set([])
    servers = Service.objects.filter(
        Q(status=Status.ACTIVE) | Q(status=Status.SUSPENDED),
        client__provider=demo.provider,
        product_type__kind=ProductKind.VIRTUAL_SERVER,
    ).select_related("client", "tariff", "product_type")
    for service in servers.order_by("pk"):
        actions.allocate(service, now=demo.now, actor=DEMO, module_id=service.module_id)
        host = str(service.parameters.get("hostname") or f"vps{service.pk}.demo.test")
        for n, address in enumerate(Address.objects.filter(service=service).order_by("-main", "pk")):
            name = host if n == 0 else f"mail.{host.split('.', 1)[-1]}"
            Address.objects.filter(pk=address.pk).update(ptr_name=name, ptr_published=name, ptr_state=PtrState.DONE)
