"""The demo loads once, covers every client-visible status, and its ledger and pages add up."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from openbill.billing.models import LedgerEntry
from openbill.services.choices import Label, Operation
from openbill.services.models import Service
from openbill.services.rules import in_deletion


@pytest.mark.django_db
def test_demo_loads_every_client_visible_status_and_loading_twice_changes_nothing():
    call_command("demo", stdout=StringIO())
    counts = (Service.objects.count(), LedgerEntry.objects.count())

    call_command("demo", stdout=StringIO())

    assert (Service.objects.count(), LedgerEntry.objects.count()) == counts
    alice = Service.objects.filter(client__email="alice@demo.test")
    labels = {s.label_code for s in alice}
    assert {
        Label.ACTIVE,
        Label.ORDERED,
        Label.CONFIGURATION_REQUIRED,
        Label.NOT_AVAILABLE,
        Label.SUSPENDED,
        Label.SUSPENDED_ADMIN,
        Label.SUSPENDED_ABUSE,
        Label.IN_PROGRESS,
    } <= labels
    assert {s.operation for s in alice if s.operation} == {
        Operation.ACTIVATION,
        Operation.SUSPENSION,
        Operation.RESUME,
        Operation.REBOOT,
        Operation.RENEWAL,
        Operation.TRANSFER,
        Operation.DELETION,
    }
    assert alice.filter(period="day", status="active").exists()
    assert alice.filter(status="active", auto_renew=False).exists()
    assert alice.filter(suspended_expired=True, status="suspended").exists()


@pytest.mark.django_db
def test_audit_is_clean_after_the_demo():
    call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("audit", stdout=out)
    assert "audit clean" in out.getvalue()


@pytest.mark.django_db
def test_the_demo_orders_page_offers_the_instruction_manual_of_every_active_paid_service(client):
    from openbill.accounts.models import User

    call_command("demo", stdout=StringIO())
    client.force_login(User.objects.get(email="alice@demo.test"))

    html = client.get("/orders/").content.decode()

    paid = html[html.index('data-testid="paid"') :]
    rows = re.findall(r'<tr data-service-id="(\d+)">(.*?)</tr>', paid, re.S)
    assert len(rows) >= 5
    offered = {int(pk) for pk, row in rows if "Instruction Manual" in row}
    active = {
        service.pk
        for service in Service.objects.filter(client__email="alice@demo.test", pk__in=[int(pk) for pk, _ in rows])
        if service.status in ("active", "suspended") and service.activated_at and not in_deletion(service)
    }
    # Every running demo service has a complete manual; one not yet active offers none.
    assert offered == active
    for pk in offered:
        page = client.get(f"/services/{pk}/instructions/")
        assert page.status_code == 200
        text = page.content.decode().split('data-testid="instructions"', 1)[1].split("</div>", 1)[0]
        assert " ." not in text and "for  " not in text



@pytest.mark.django_db
def test_each_demo_clients_ledger_adds_up_in_date_order_from_a_first_payment():
    call_command("demo", stdout=StringIO())

    for email in ("alice@demo.test", "bob@demo.test"):
        entries = list(LedgerEntry.objects.filter(client__email=email).order_by("created_at", "id"))
        # The ledger's own order (by id) is the order in time: the page's "Balance after" follows.
        assert [e.pk for e in entries] == sorted(e.pk for e in entries), email
        assert entries[0].kind == "payment", email
        running = Decimal(0)
        for entry in entries:
            running += entry.amount
            assert entry.balance_after == running, (email, entry.created_at, entry.description)
            assert entry.balance_after >= 0, (email, entry.created_at, entry.description)
