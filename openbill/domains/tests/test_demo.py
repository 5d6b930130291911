"""The demo sells .com and .net and has domains in several states on alice's Goods/Services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from openbill.domains.models import Domain, Zone


@pytest.mark.django_db
def test_the_demo_has_two_zones_and_domains_in_several_states():
    call_command("demo", stdout=StringIO())

    assert sorted(z.name for z in Zone.objects.all()) == ["com", "net"]
    alice_domains = Domain.objects.filter(service__client__email="alice@demo.test")
    states = {d.service.label for d in alice_domains}
    assert {"Active", "Ordered", "Suspended", "In progress (activation)"} <= states
    assert Domain.objects.filter(service__client__email="bob@demo.test", owner__kind="organisation").exists()
    assert alice_domains.filter(phase="grace").exists()
    assert alice_domains.filter(phase="redemption").exists()

    web = HttpClient()
    assert web.post("/login/", {"username": "alice@demo.test", "password": "demo"}).status_code == 302
    active = alice_domains.get(service__status="active")
    page = web.get(f"/services/{active.service_id}/domain/").content.decode()
    assert active.name in page and "ns1.demo-hosting.test" in page
    assert "alice-example.net" in web.get("/cart/").content.decode()
    lapsed = alice_domains.get(phase="grace")
    page = web.get(f"/services/{lapsed.service_id}/domain/").content.decode()
    assert "Expired: renewable at the renewal price until" in page
