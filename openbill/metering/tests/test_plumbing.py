"""The meter sweep's registration, the notices' wording and the admin's one-time token."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.messages import get_messages

from openbill.billing.models import LedgerEntry
from openbill.catalog.models import Addon
from openbill.core.models import Notice
from openbill.core.notify import render
from openbill.core.scheduler import SWEEPS, load_sweeps
from openbill.core.tests import factories as f
from openbill.core.texts import render as render_text
from openbill.metering import actions
from openbill.metering.models import ProviderToken
from openbill.metering.sweeps import meter_sweep

from .factories import ingest, record, traffic

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def test_the_meter_sweep_is_registered_hourly_and_runs(provider, vps_plan, alice):
    load_sweeps()
    assert SWEEPS["meter"].every_seconds == 3600
    traffic(vps_plan)
    f.service(alice, vps_plan)
    assert meter_sweep.call()["settled"] == 0


def test_each_notice_names_the_service_the_addon_and_the_cost(provider, vps_plan, alice):
    traffic(vps_plan, maximum=Decimal(1200))
    server = f.service(alice, vps_plan, name="Alice VPS")
    ingest(provider, [record(server, "rx_bytes", datetime(2026, 3, 5, tzinfo=UTC), "1300")], NOW)
    actions.meter(now=NOW)

    notice = Notice.objects.get(template="overage_limit")
    subject, body = render(notice)
    assert subject == f"Alice VPS #{server.pk} is suspended: Traffic over its maximum"
    assert "used 1300 GiB of Traffic in the reporting period March 2026, over the maximum of 1200 GiB" in body
    assert "3.00 USD" in body


def test_an_overage_notice_is_worded_in_the_recipients_language(provider, vps_plan, alice, alice_user):
    """Period, quantities (with their units), the add-on's name and the cost in Spanish, though
    the meter ran in English: the facts are stored, the words chosen when the mail is written."""
    addon = traffic(vps_plan, maximum=Decimal("1200.5"), included=Decimal("1000.5"))
    Addon.objects.filter(pk=addon.pk).update(name_es="Tráfico")
    server = f.service(alice, vps_plan, name="Alice VPS")
    ingest(provider, [record(server, "rx_bytes", datetime(2026, 3, 5, tzinfo=UTC), "1300.25")], NOW)
    actions.meter(now=NOW)
    alice_user.language = "es"
    alice_user.save(update_fields=["language"])

    subject, body = render(Notice.objects.get(template="overage_limit"))
    assert subject == f"Alice VPS n.º {server.pk} está suspendido: Tráfico por encima de su máximo"
    assert (
        "consumió 1300,25 GiB de Tráfico en el periodo de informe marzo de 2026, por encima del máximo de 1200,5 GiB"
        in body
    )
    assert "3,00 USD" in body
    assert "2026-03" not in body and "March" not in body and "1300.25" not in body
    # The ledger line of the overage names the add-on in the reader's language too.
    line = LedgerEntry.objects.get(client=alice, description_kind="overage_month")
    assert render_text(line.description_kind, line.description_params, "es") == "Exceso de consumo: Tráfico, marzo de 2026"
    assert render_text(line.description_kind, line.description_params, "en") == "Overage: Traffic, March 2026"


def test_the_overdraft_and_unpaid_notices_render(provider, vps_plan, alice, bob):
    traffic(vps_plan)
    charged = f.service(alice, vps_plan, name="Charged anyway")
    ingest(provider, [record(charged, "rx_bytes", datetime(2026, 3, 5, tzinfo=UTC), "20000")], NOW)
    strict = f.tariff(vps_plan.product_type, "Strict", overage_without_funds="suspend")
    traffic(strict)
    stopped = f.service(bob, strict, name="Stopped")
    ingest(provider, [record(stopped, "rx_bytes", datetime(2026, 3, 5, tzinfo=UTC), "20000")], NOW)
    actions.meter(now=NOW)

    for template, words in (("overage_overdraft", "charged anyway"), ("overage_unpaid", "resumes once a payment")):
        subject, body = render(Notice.objects.get(template=template))
        assert subject and words in body


def test_staff_create_a_provider_token_in_the_admin_and_see_it_once(client, staff, provider):
    client.force_login(staff)
    response = client.post(
        "/admin/metering/providertoken/add/", {"provider": provider.pk, "name": "Prometheus bridge"}, follow=True
    )
    assert response.status_code == 200
    text = " ".join(str(m) for m in get_messages(response.wsgi_request)) or response.content.decode()
    raw = re.search(r"obp_[A-Za-z0-9_-]+", text)
    assert raw is not None
    token = ProviderToken.objects.get()
    assert token.key_hash != raw.group(0) and ProviderToken.find(raw.group(0)) == token
    listing = client.get("/admin/metering/providertoken/").content.decode()
    assert raw.group(0) not in listing
