"""Staff's Django admin: every page opens; money and history are read-only; status changes go
through the domain actions."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from openbill.accounts.models import ApiToken
from openbill.billing.models import Expense, LedgerEntry
from openbill.clients.models import Client
from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.core.texts import Text
from openbill.provisioning.models import OPEN_STATES, ProvisioningTask
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service, ServiceEvent

MY_APPS = {"core", "accounts", "clients", "catalog", "billing", "services"}


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _my_models():
    return [m for m in admin.site._registry if m._meta.app_label in MY_APPS]


@pytest.mark.django_db
def test_every_model_of_the_domain_apps_has_an_admin():
    from django.apps import apps

    expected = {m for app in MY_APPS for m in apps.get_app_config(app).get_models()}
    assert expected <= set(admin.site._registry)


@pytest.mark.django_db
def test_every_admin_list_and_change_page_opens_on_the_demo_data(staff_client):
    call_command("demo", stdout=StringIO())
    for model in _my_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = staff_client.get(changelist)
        assert response.status_code == 200, changelist
        # the search box and a filter work too
        if admin.site._registry[model].search_fields:
            assert staff_client.get(changelist, {"q": "demo"}).status_code == 200, changelist
        obj = model.objects.order_by("pk").first()
        if obj is None:
            continue
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert staff_client.get(change).status_code == 200, change


@pytest.mark.django_db
def test_ledger_entries_cannot_be_added_changed_or_deleted_in_admin(staff_client, alice):
    entry = LedgerEntry.objects.get(client=alice)

    change = reverse("admin:billing_ledgerentry_change", args=[entry.pk])
    delete = reverse("admin:billing_ledgerentry_delete", args=[entry.pk])
    add = reverse("admin:billing_ledgerentry_add")
    changed = staff_client.post(change, {"amount": "1000000", "description": "edited"})
    deleted = staff_client.post(delete, {"post": "yes"})
    added = staff_client.post(add, {"client": alice.pk, "amount": "5", "kind": "payment"})
    bulk = staff_client.post(
        reverse("admin:billing_ledgerentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert (changed.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 302)  # no delete action offered: the POST does nothing
    entry.refresh_from_db()
    assert entry.amount == Decimal("100.00")
    assert LedgerEntry.objects.filter(client=alice).count() == 1
    # The page still shows the entry, without a save button.
    page = staff_client.get(change).content.decode()
    assert 'name="_save"' not in page
    assert "Delete" not in page


@pytest.mark.django_db
def test_charges_cannot_be_changed_or_deleted_in_admin(staff_client, alice, vps_plan):
    from django.utils import timezone

    from openbill.billing.actions import charge_service

    service = f.service(alice, vps_plan)
    expense, _ = charge_service(
        service,
        kind="period",
        key="k1",
        amount=Decimal("10.00"),
        description=Text.verbatim("period"),
        now=timezone.now(),
    )

    changed = staff_client.post(reverse("admin:billing_expense_change", args=[expense.pk]), {"amount": "0"})
    deleted = staff_client.post(reverse("admin:billing_expense_delete", args=[expense.pk]), {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert Expense.objects.get(pk=expense.pk).amount == Decimal("10.00")


@pytest.mark.django_db
def test_service_history_cannot_be_changed_or_deleted_in_admin(staff_client, alice, vps_plan):
    service = f.service(alice, vps_plan)
    from openbill.core.actors import Actor
    from openbill.services import events

    event = events.record(
        service, "renewed", actor=Actor.system(), now=service.created_at, note=Text.verbatim("original")
    )

    changed = staff_client.post(reverse("admin:services_serviceevent_change", args=[event.pk]), {"note": "forged"})
    deleted = staff_client.post(reverse("admin:services_serviceevent_delete", args=[event.pk]), {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert ServiceEvent.objects.get(pk=event.pk).note == "original"


@pytest.mark.django_db
def test_a_services_status_fields_are_not_editable_in_admin(staff_client, alice, vps_plan):
    service = f.service(alice, vps_plan, name="web-1")
    change = reverse("admin:services_service_change", args=[service.pk])

    page = staff_client.get(change).content.decode()
    response = staff_client.post(
        change,
        {
            "name": "web-renamed",
            "period": "month",
            "auto_renew": "on",
            "parameters": "{}",
            "remote_id": "",
            "module": "",
            "status": Status.DELETED,
            "operation": Operation.REBOOT,
            "suspended_by_admin": "on",
            "expires_at_0": "2000-01-01",
            "client": "999",
            "addons-TOTAL_FORMS": "0",
            "addons-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    for field in ("status", "operation", "suspended_by_admin", "expires_at", "client"):
        assert f'name="{field}"' not in page
    service_after = Service.objects.get(pk=service.pk)
    assert service_after.name == "web-renamed"  # the editable fields do save
    assert (service_after.status, service_after.operation, service_after.suspended_by_admin) == (
        Status.ACTIVE,
        "",
        False,
    )
    assert service_after.expires_at == service.expires_at
    assert service_after.client_id == alice.pk


@pytest.mark.django_db
def test_services_cannot_be_added_or_deleted_in_admin(staff_client, alice, vps_plan):
    service = f.service(alice, vps_plan)

    deleted = staff_client.post(reverse("admin:services_service_delete", args=[service.pk]), {"post": "yes"})
    added = staff_client.get(reverse("admin:services_service_add"))

    assert (deleted.status_code, added.status_code) == (403, 403)
    assert Service.objects.filter(pk=service.pk).exists()


@pytest.mark.django_db
def test_staff_suspend_action_goes_through_the_domain(staff_client, staff, alice, vps_plan):
    service = f.service(alice, vps_plan)

    response = staff_client.post(
        reverse("admin:services_service_changelist"),
        {"action": "suspend_by_admin", "_selected_action": [service.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Suspension requested for 1 service." in response.content.decode()
    service.refresh_from_db()
    # The reason is recorded at once and the remote suspension opened; the status itself
    # changes only when the module confirms.
    assert service.suspend_reasons == {SuspendReason.ADMIN}
    assert service.operation == Operation.SUSPENSION
    assert service.status == Status.ACTIVE
    assert ProvisioningTask.objects.filter(service=service, operation="suspension", state__in=OPEN_STATES).count() == 1
    event = service.events.get(kind="suspension requested")
    assert (event.actor_kind, event.actor_user_id, event.actor_label, event.note_kind, event.note_params) == (
        "staff",
        staff.pk,
        staff.email,
        "suspend_reason",
        {"reason": SuspendReason.ADMIN},
    )


@pytest.mark.django_db
def test_staff_resume_action_lifts_only_the_admin_reason(staff_client, staff, alice, vps_plan):
    service = f.service(alice, vps_plan, status=Status.SUSPENDED, suspended_by_admin=True)
    abused = f.service(alice, vps_plan, status=Status.SUSPENDED, suspended_by_admin=True, suspended_for_abuse=True)

    staff_client.post(
        reverse("admin:services_service_changelist"),
        {"action": "resume_by_admin", "_selected_action": [service.pk, abused.pk]},
    )

    service.refresh_from_db()
    abused.refresh_from_db()
    assert service.suspend_reasons == frozenset()
    assert service.operation == Operation.RESUME  # resumes once the module confirms
    assert service.events.get(kind="suspension lifted").actor_user_id == staff.pk
    assert abused.suspend_reasons == {SuspendReason.ABUSE}  # abuse is still a reason
    assert abused.operation == ""
    assert abused.status == Status.SUSPENDED


@pytest.mark.django_db
def test_staff_actions_report_a_refusal_instead_of_failing(staff_client, alice, vps_plan):
    deleted = f.service(alice, vps_plan, status=Status.DELETED)

    response = staff_client.post(
        reverse("admin:services_service_changelist"),
        {"action": "suspend_by_admin", "_selected_action": [deleted.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "The service is deleted." in response.content.decode()
    deleted.refresh_from_db()
    assert deleted.suspend_reasons == frozenset()


@pytest.mark.django_db
def test_the_status_filter_uses_the_client_visible_labels(staff_client, alice, vps_plan):
    f.service(alice, vps_plan, name="plain-suspended", status=Status.SUSPENDED, suspended_by_client=True)
    f.service(alice, vps_plan, name="abuse-suspended", status=Status.SUSPENDED, suspended_for_abuse=True)

    page = staff_client.get(reverse("admin:services_service_changelist"), {"label": "suspended_abuse"})

    text = page.content.decode()
    assert "abuse-suspended" in text
    assert "plain-suspended" not in text


@pytest.mark.django_db
def test_api_token_admin_never_shows_the_hash_and_cannot_mint_tokens(staff_client, alice_user):
    token, raw = ApiToken.issue(alice_user, "ci")

    page = staff_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    listing = staff_client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    added = staff_client.get(reverse("admin:accounts_apitoken_add"))

    assert token.key_hash not in page and token.key_hash not in listing
    assert raw not in page
    assert 'name="key_hash"' not in page
    assert added.status_code == 403


@pytest.mark.django_db
def test_staff_can_revoke_api_tokens(staff_client, alice_user):
    token, raw = ApiToken.issue(alice_user, "ci")

    staff_client.post(
        reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert ApiToken.find(raw) is None


@pytest.mark.django_db
def test_a_clients_balance_is_read_only_in_admin(staff_client, alice, provider):
    change = reverse("admin:clients_client_change", args=[alice.pk])

    response = staff_client.post(
        change,
        {
            "provider": provider.pk,
            "name": "Alice",
            "email": alice.email,
            "phone": "",
            "language": "en",
            "credit_limit": "25",
            "balance_amount": "99999",
            "abuse_score": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    alice_after = Client.objects.get(pk=alice.pk)
    assert alice_after.balance_amount == Decimal("100.00")
    assert alice_after.credit_limit == Decimal("25")


@pytest.mark.django_db
def test_tariff_page_edits_prices_and_addons_inline(staff_client, vps_plan):
    page = staff_client.get(reverse("admin:catalog_tariffplan_change", args=[vps_plan.pk])).content.decode()

    assert 'name="prices-0-price"' in page
    assert 'name="addons-TOTAL_FORMS"' in page


@pytest.mark.django_db
def test_staff_index_needs_staff(client, alice_user, staff):
    client.force_login(alice_user)
    refused = client.get(reverse("staff:index"))
    client.force_login(staff)
    allowed = client.get(reverse("staff:index"))

    assert refused.status_code == 302 and "/admin/login/" in refused["Location"]
    assert allowed.status_code == 200


@pytest.mark.django_db
def test_history_and_ledger_lists_filter_by_fixed_choices(staff_client, alice, alice_user, vps_plan):
    service = f.service(alice, vps_plan)
    from openbill.services import actions as service_actions
    from openbill.services.choices import SuspendReason as Reason

    service_actions.suspend(service, reason=Reason.CLIENT, actor=Actor.of_user(alice_user), now=service.created_at)
    service_actions.suspend(service, reason=Reason.ADMIN, actor=Actor.system("sweep"), now=service.created_at)

    by_client = staff_client.get(reverse("admin:services_serviceevent_changelist"), {"actor_kind": "client"})
    in_usd = staff_client.get(reverse("admin:billing_ledgerentry_changelist"), {"currency": "USD"})
    in_eur = staff_client.get(reverse("admin:billing_ledgerentry_changelist"), {"currency": "EUR"})

    assert by_client.context["cl"].result_count == 2  # the request and the operation it opened
    assert in_usd.context["cl"].result_count == 1
    assert in_eur.context["cl"].result_count == 0


@pytest.mark.django_db
def test_staff_index_links_every_page_the_apps_list(staff_client):
    from openbill.staff.views import MENU

    page = staff_client.get(reverse("staff:index")).content.decode()

    assert reverse("admin:index") in page
    for name, label in MENU:
        assert f'href="{reverse(f"staff:{name}")}"' in page
        assert str(label) in page


def _service_form(service, **changes):
    data = {
        "name": service.name,
        "period": service.period,
        "auto_renew": "on",
        "parameters": "{}",
        "remote_id": "",
        "module": "",
        "addons-TOTAL_FORMS": "0",
        "addons-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_staff_edited_parameters_are_validated_like_the_clients(staff_client, alice, vps_plan, vps_type):
    f.parameter(vps_type, "hostname", kind="hostname")
    service = f.service(alice, vps_plan, parameters={"hostname": "web.alice.test"})
    change = reverse("admin:services_service_change", args=[service.pk])

    refused = staff_client.post(change, _service_form(service, parameters='{"hostname": "not a host!"}'))
    service.refresh_from_db()
    unchanged = service.parameters
    saved = staff_client.post(
        change, _service_form(service, parameters='{"hostname": "München.Example.", "address": "192.0.2.7"}')
    )

    assert refused.status_code == 200
    assert "Hostname: Enter a valid domain name." in refused.content.decode()
    assert unchanged == {"hostname": "web.alice.test"}
    assert saved.status_code == 302
    service.refresh_from_db()
    assert service.parameters == {"hostname": "xn--mnchen-3ya.example", "address": "192.0.2.7"}


@pytest.mark.django_db
def test_a_parameter_with_a_broken_pattern_is_refused(staff_client, vps_type):
    response = staff_client.post(
        reverse("admin:catalog_productparameter_add"),
        {
            "product_type": vps_type.pk,
            "position": "0",
            "code": "hostname",
            "label": "Host name",
            "kind": "text",
            "required": "on",
            "choices": "[]",
            "regex": "([a-z]+",
        },
    )

    assert response.status_code == 200
    assert "Not a valid regular expression" in response.content.decode()
    assert not vps_type.parameters.exists()


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_admin_lists_make_the_same_number_of_queries_for_n_and_2n_rows(staff_client, alice, bob, vps_plan):
    from django.utils import timezone

    from openbill.billing.actions import charge_service
    from openbill.core.actors import Actor as Who
    from openbill.services import events

    urls = [
        reverse("admin:services_service_changelist"),
        reverse("admin:services_serviceevent_changelist"),
        reverse("admin:billing_ledgerentry_changelist"),
        reverse("admin:billing_expense_changelist"),
        reverse("admin:clients_client_changelist"),
    ]

    def add_rows(count, start):
        for i in range(start, start + count):
            owner = alice if i % 2 else bob
            service = f.service(owner, vps_plan, name=f"svc-{i}")
            events.record(service, "ordered", actor=Who.system(), now=timezone.now())
            charge_service(
                service,
                kind="period",
                key=str(i),
                amount=Decimal("1"),
                description=Text.verbatim("x"),
                now=timezone.now(),
            )
            f.client(alice.provider, f"client{i}@test.test")

    add_rows(4, 0)
    counts_n = [_count_queries(staff_client, url) for url in urls]
    add_rows(4, 4)
    counts_2n = [_count_queries(staff_client, url) for url in urls]

    assert counts_n == counts_2n


@pytest.mark.django_db
def test_add_on_quantities_read_as_plain_numbers(staff_client, alice, vps_plan):
    disk = f.addon(vps_plan, "disk", name="Disk", minimum=20, maximum=500, step=10)
    service = f.service(alice, vps_plan, addons={disk: "100"})

    listing = staff_client.get(reverse("admin:services_serviceaddon_changelist")).content.decode()
    page = staff_client.get(reverse("admin:services_service_change", args=[service.pk])).content.decode()

    for html in (listing, page):
        assert ">100<" in html
        assert "100.0000" not in html and "E+2" not in html
