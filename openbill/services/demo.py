"""The demo's services: alice's in every client-visible status (active, in the cart, waiting for
parameters, not available, suspended by her, by staff, for abuse and on expiry, and one of each
operation in progress), and bob's few. Their first periods are charged as of their activation."""

from __future__ import annotations

from typing import Any

from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service


def build(demo: Any) -> None:
    alice, bob = demo.alice, demo.bob
    demo.service(
        alice,
        demo.vps,
        "Web server",
        period="month",
        params={"hostname": "web.alice.test", "location": "fra"},
        resources={"ram": "4", "cpu": "2", "disk": "40", "ipv4": "1", "traffic": "0", "os": "debian-12"},
    )
    demo.service(alice, demo.dedicated, "Database server", period="year", auto_renew=False, started_days_ago=200)
    demo.service(
        alice,
        demo.vps_daily,
        "Test box",
        period="day",
        started_days_ago=0,
        params={"hostname": "test.alice.test"},
        resources={"os": "ubuntu-24-04"},
    )
    demo.service(
        alice,
        demo.com,
        "alice-example.com",
        period="year",
        params={"domain": "alice-example.com"},
        started_days_ago=100,
    )
    demo.service(alice, demo.ssl, "SSL for alice-example.com", period="year", params={"domain": "alice-example.com"})
    demo.service(
        alice,
        demo.vps,
        "New server (in cart)",
        period="month",
        status=Status.ORDERED,
        started_days_ago=0,
        params={"hostname": "new.alice.test"},
        resources={"ram": "2", "os": "debian-12"},
    )
    demo.service(
        alice,
        demo.hosting,
        "Hosting (quick order)",
        period="month",
        status=Status.CONFIGURATION_REQUIRED,
        started_days_ago=1,
    )
    demo.service(
        alice,
        demo.vps_pro,
        "Big server",
        period="month",
        status=Status.NOT_AVAILABLE,
        started_days_ago=1,
        params={"hostname": "big.alice.test"},
        resources={"ram": "64", "os": "debian-12"},
    )
    demo.service(
        alice,
        demo.hosting,
        "Old blog",
        period="month",
        status=Status.SUSPENDED,
        reasons=(SuspendReason.CLIENT,),
        params={"domain": "blog.alice.test"},
    )
    demo.service(alice, demo.vdc, "Lab VDC", period="month", status=Status.SUSPENDED, reasons=(SuspendReason.ADMIN,))
    demo.service(
        alice,
        demo.licence,
        "Panel licence",
        period="month",
        status=Status.SUSPENDED,
        reasons=(SuspendReason.ABUSE, SuspendReason.ADMIN),
    )
    expired = demo.service(
        alice,
        demo.hosting,
        "Expired site",
        period="month",
        auto_renew=False,
        status=Status.SUSPENDED,
        reasons=(SuspendReason.EXPIRED,),
        started_days_ago=40,
        params={"domain": "expired.alice.test"},
    )
    Service.objects.filter(pk=expired.pk).update(suspended_at=expired.expires_at)
    for operation in (
        Operation.ACTIVATION,
        Operation.SUSPENSION,
        Operation.RESUME,
        Operation.REBOOT,
        Operation.RENEWAL,
        Operation.TRANSFER,
        Operation.DELETION,
    ):
        demo.in_progress(alice, operation)
    demo.service(
        bob,
        demo.vps,
        "Bob's server",
        period="month",
        params={"hostname": "srv.bob.test"},
        resources={"ram": "2", "os": "ubuntu-24-04"},
    )
    demo.service(bob, demo.com, "bob-sample.com", period="year", params={"domain": "bob-sample.com"})
    demo.service(
        bob,
        demo.hosting,
        "Bob's shop",
        period="month",
        status=Status.SUSPENDED,
        reasons=(SuspendReason.CLIENT,),
        params={"domain": "shop.bob.test"},
    )
