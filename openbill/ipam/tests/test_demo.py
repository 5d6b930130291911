"""The demo's pools, addresses and reverse names, as alice and staff see them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from openbill.ipam.models import Address, Pool, PtrState
from openbill.services.models import Service


@pytest.mark.django_db
def test_the_demo_has_pools_and_servers_with_main_and_additional_addresses_and_reverse_names(settings, tmp_path):
    settings.OPENBILL_STAFF_2FA = False
    call_command("demo", stdout=StringIO())

    assert Pool.objects.count() == 4  # the data centers' pool too (vdc demo)
    web = Service.objects.get(name="Web server", client__email="alice@demo.test")
    rows = list(Address.objects.filter(service=web).order_by("-main", "pk"))
    assert [(a.address, a.main, a.ptr_name) for a in rows] == [
        ("203.0.113.10", True, "web.alice.test"),
        ("203.0.113.11", False, "mail.alice.test"),
    ]
    assert all(a.ptr_state == PtrState.DONE for a in rows)
    assert Address.objects.filter(service__client__email="bob@demo.test").exists()

    http = HttpClient()
    assert http.post("/login/", {"username": "alice@demo.test", "password": "demo"}).status_code == 302
    page = http.get(f"/services/{web.pk}/ips/").content.decode()
    assert "203.0.113.10" in page and "203.0.113.11" in page and "mail.alice.test" in page
    assert "203.0.113.12" not in page  # bob's or another server's

    staff = HttpClient()
    from openbill.accounts.models import User

    staff.force_login(User.objects.filter(is_staff=True).first())
    assert "Amsterdam public IPv4" in staff.get("/staff/ipam/pools/").content.decode()

    # The demo's DNS server entry is the Knot that ``openbill demo-dns`` runs: its zones start
    # with the names the demo recorded as published.
    call_command("demo-dns", "--config-only", "--folder", str(tmp_path), stdout=StringIO())
    assert "listen: 127.0.0.1@5300" in (tmp_path / "knot.conf").read_text()
    zone = (tmp_path / "113.0.203.in-addr.arpa.zone").read_text()
    assert "10.113.0.203.in-addr.arpa. PTR web.alice.test." in zone
    assert "11.113.0.203.in-addr.arpa. PTR mail.alice.test." in zone
    assert "web-1.dev.alice.test." in (tmp_path / "2.0.192.in-addr.arpa.zone").read_text()
