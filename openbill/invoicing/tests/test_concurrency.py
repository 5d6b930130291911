"""Gap-free, unique numbering on PostgreSQL: parallel payments, and a worker killed after it
took a number but before it committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from openbill.billing.actions import charge_service, ledger_sum
from openbill.billing.models import ExpenseKind
from openbill.core.tests import factories as f
from openbill.core.tests.concurrency import together
from openbill.core.texts import Text
from openbill.invoicing import actions as invoicing_actions
from openbill.invoicing.audit import run_audit
from openbill.invoicing.models import Document, DocumentKind
from openbill.payments import actions as payments
from openbill.payments.models import Payment

from .helpers import CLIENT, STAFF, profile, spanish_seller

PAYMENTS = 8


def _started(client, amount="10.00"):
    payment, _result = payments.start_payment(
        client, method="bank", amount=amount, actor=CLIENT, now=timezone.now(), return_url="/"
    )
    return payment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_payments_get_consecutive_numbers() -> None:
    provider = f.provider()
    spanish_seller(provider)
    clients = [f.client(provider, f"c{i}@test.test") for i in range(PAYMENTS)]
    for client in clients:
        profile(client)
    started = [_started(client) for client in clients]
    results = together(*[lambda p=p: payments.confirm_payment(p, actor=STAFF, now=timezone.now()) for p in started])
    assert results == ["credited"] * PAYMENTS
    sequences = sorted(Document.objects.filter(kind=DocumentKind.INVOICE).values_list("sequence", flat=True))
    assert sequences == list(range(1, PAYMENTS + 1))
    assert run_audit() == []
    for client in clients:
        client.refresh_from_db()
        assert client.balance_amount == ledger_sum(client) == Decimal("10.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoices_issued_at_once_take_consecutive_numbers_under_the_series_lock() -> None:
    # Issued directly, without the payment's own locks (which already serialize a provider's
    # payments): the series' row lock alone keeps the numbers unique and gap-free.
    provider = f.provider()
    clients = [f.client(provider, f"c{i}@test.test") for i in range(PAYMENTS)]
    started = [_started(client) for client in clients]
    for payment in started:
        payments.confirm_payment(payment, actor=STAFF, now=timezone.now())  # before invoicing began
    spanish_seller(provider)
    for client in clients:
        profile(client)
    invoicing_actions.series_for(provider.pk, DocumentKind.INVOICE)

    def issue(payment):
        with transaction.atomic():
            payment = Payment.objects.select_related("client__provider").get(pk=payment.pk)
            return invoicing_actions.issue_payment_invoice(payment, now=timezone.now()).number

    numbers = together(*[lambda p=p: issue(p) for p in started])
    year = timezone.now().year
    assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(1, PAYMENTS + 1)]


KILLED_WORKER = """
import sys, time, django
django.setup()
from django.db import transaction
from django.utils import timezone
from openbill.core.actors import Actor
from openbill.invoicing.models import Document
from openbill.payments import actions
from openbill.payments.models import Payment

with transaction.atomic():
    actions.confirm_payment(Payment.objects.get(pk=int(sys.argv[1])), actor=Actor.system("worker"), now=timezone.now())
    print(Document.objects.get(payment_id=int(sys.argv[1])).number, flush=True)
    time.sleep(600)  # killed here: numbered, credited, never committed
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_taking_a_number_leaves_no_gap() -> None:
    provider = f.provider()
    spanish_seller(provider)
    alice = f.client(provider, "alice@test.test")
    profile(alice)
    payments.confirm_payment(_started(alice), actor=STAFF, now=timezone.now())
    doomed = _started(alice, "20.00")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "openbill.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, str(doomed.pk)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        taken = worker.stdout.readline().strip()  # type: ignore[union-attr]
        year = timezone.now().year
        assert taken == f"{year}-000002"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    # The number went with the killed transaction: the next payment takes it, no gap.
    later = _started(alice, "30.00")
    payments.confirm_payment(later, actor=STAFF, now=timezone.now())
    assert Document.objects.get(payment=later).number == f"{year}-000002"
    assert not Document.objects.filter(payment=doomed).exists()
    doomed.refresh_from_db()
    assert doomed.status == "pending"
    # The lost credit is simply redone: it takes the next number.
    payments.confirm_payment(doomed, actor=STAFF, now=timezone.now())
    assert Document.objects.get(payment=doomed).number == f"{year}-000003"
    assert run_audit() == []
    alice.refresh_from_db()
    assert alice.balance_amount == ledger_sum(alice) == Decimal("60.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_period_sweeps_at_once_issue_each_post_paid_month_once() -> None:
    provider = f.provider()
    spanish_seller(provider)
    plan = f.tariff(f.product_type(provider), "VPS-1", prices={"month": "10.00"})
    march = datetime(2026, 3, 10, tzinfo=UTC)
    clients = [f.client(provider, f"c{i}@test.test", balance="50.00") for i in range(4)]
    for client in clients:
        p = profile(client)
        p.postpaid_since = date(2026, 3, 1)
        p.save()
        service = f.service(client, plan, name=f"web-{client.pk}")
        charge_service(service, kind=ExpenseKind.PERIOD, key="march", amount=Decimal("12.10"),
                       description=Text("refund_unused", name="web"), now=march)  # fmt: skip
    with time_machine.travel(datetime(2026, 4, 1, 2, 0, tzinfo=UTC), tick=False):
        runs = together(*[lambda: invoicing_actions.issue_period_invoices(now=timezone.now()) for _ in range(3)])
    # A run that met a month issued meanwhile returns that invoice: each number, never a second one.
    assert {n for numbers in runs for n in numbers} == {f"2026-{n:06d}" for n in range(1, 5)}
    invoices = Document.objects.filter(kind=DocumentKind.INVOICE)
    assert sorted(invoices.values_list("client_id", flat=True)) == sorted(c.pk for c in clients)
    assert {d.total_amount for d in invoices} == {Decimal("12.10")}
    assert run_audit() == []
