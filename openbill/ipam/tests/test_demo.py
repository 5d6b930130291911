"""The demo's pools, addresses and reverse names, as alice and staff see them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from openbill.ipam.models import Address, Pool, PtrState
from openbill.services.models import Service


@pytest.mark.django_db
def test_the_demo_has_pools_and_servers_with_main_and_additional_addresses_and_reverse_names(settings):
    settings.OPENBILL_STAFF_2FA = False
    call_command("demo", stdout=StringIO())

    assert Pool.objects.count() == 3
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
