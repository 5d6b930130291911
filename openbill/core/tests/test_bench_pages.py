"""``openbill bench pages`` fills a database and times the three pages (a small run here)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from openbill.billing.audit import run_audit
from openbill.clients.models import Client
from openbill.services.models import Service


@pytest.mark.django_db
def test_bench_pages_fills_n_services_over_n_tenths_clients_and_prints_one_json_object():
    out = StringIO()

    call_command("bench", "pages", "--services", "60", "--requests", "3", "--warmup", "1", "--json", stdout=out)

    result = json.loads(out.getvalue())
    assert result["services_total"] == 60
    for page in ("dashboard", "services", "services_status", "services_id", "services_name", "api_services"):
        assert result[page]["p50_ms"] > 0
        assert result[page]["p95_ms"] >= result[page]["p50_ms"]
        assert result[page]["queries"] > 0
    assert Service.objects.filter(client__provider__name="Bench Hosting").count() == 60
    assert Client.objects.filter(provider__name="Bench Hosting").count() == 6
    assert run_audit() == []  # the filled ledger is consistent


@pytest.mark.django_db
def test_bench_pages_tops_up_instead_of_refilling():
    call_command("bench", "pages", "--services", "30", "--fill-only", "--json", stdout=StringIO())
    out = StringIO()

    call_command("bench", "pages", "--services", "50", "--fill-only", "--json", stdout=out)

    assert json.loads(out.getvalue())["services_created"] == 20
    assert Service.objects.filter(client__provider__name="Bench Hosting").count() == 50


@pytest.mark.django_db
def test_bench_pages_can_make_the_measured_client_reseller_sized():
    out = StringIO()

    call_command("bench", "pages", "--services", "20", "--client-services", "40", "--fill-only", "--json", stdout=out)

    result = json.loads(out.getvalue())
    # 40 services, one in ten deleted (not shown); the other client keeps its ten
    assert result["client_services"] == 36
    assert result["services_total"] == 50
    # the measured client's services are the oldest rows (the hard case for a newest-first list)
    oldest = Service.objects.filter(client__provider__name="Bench Hosting").order_by("id")[:40]
    assert {s.client.email for s in oldest} == {"bench0@bench.test"}
