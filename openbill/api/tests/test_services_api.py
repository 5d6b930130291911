"""The services endpoints: the list with the client area's filters, a service, its History."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from openbill.core.actors import Actor
from openbill.core.tests import factories as f
from openbill.services import actions, selectors
from openbill.services.choices import Operation, Status, SuspendReason
from openbill.services.models import Service

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)


def test_services_list_shows_only_the_callers_services(alice_api, alice, bob, vps_plan):
    mine = f.service(alice, vps_plan, name="alice-vps")
    f.service(bob, vps_plan, name="bob-vps")

    response = alice_api.get("/api/v1/services/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["count"] == 1


def test_services_list_row_has_the_seed_formats(alice_api, alice, provider):
    daily = f.tariff(f.product_type(provider, "hosting"), "Daily", prices={"day": "1.00"})
    yearly = f.tariff(f.product_type(provider, "domain"), "Yearly", prices={"year": "500.00"})
    with time_machine.travel(NOW, tick=False):
        f.service(alice, daily, period="day", expires_at=datetime(2025, 8, 7, 10, tzinfo=UTC), name="daily")
        f.service(
            alice,
            yearly,
            period="year",
            expires_at=datetime(2025, 7, 1, 10, tzinfo=UTC),
            name="yearly",
            auto_renew=False,
        )
        rows = {row["name"]: row for row in alice_api.get("/api/v1/services/").json()["results"]}

    assert rows["daily"]["renew_cost_text"] == "1.00 USD/day"
    assert rows["daily"]["renew_amount"] == "1.00"
    assert rows["daily"]["expiration_text"] == "Expires 2025-08-07"
    assert rows["yearly"]["renew_cost_text"] == "500 USD/year"
    assert rows["yearly"]["expiration_text"] == "Stopped 2025-07-01"
    assert rows["yearly"]["auto_renew"] is False
    assert rows["daily"]["currency"] == "USD"


def test_services_list_filters_like_the_client_area(alice_api, alice, vps_plan, provider):
    domain_type = f.product_type(provider, "domain")
    domain_plan = f.tariff(domain_type, "DOM")
    web = f.service(alice, vps_plan, name="web-1")
    db = f.service(alice, vps_plan, name="db-1", suspended_by_admin=True, status=Status.SUSPENDED)
    dom = f.service(alice, domain_plan, name="example.com", status=Status.ORDERED)
    busy = f.service(alice, vps_plan, name="web-2", operation=Operation.REBOOT)

    def ids(query: str) -> list[int]:
        response = alice_api.get(f"/api/v1/services/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(f"id={web.pk}") == [web.pk]
    assert ids("label_code=suspended_admin") == [db.pk]
    assert ids("label_code=in_progress") == [busy.pk]
    assert ids("label_code=active") == [web.pk]
    assert ids(f"product_type={domain_type.pk}") == [dom.pk]
    assert ids("name=WEB&ordering=name") == [web.pk, busy.pk]
    assert ids("ordering=-name") == [busy.pk, web.pk, dom.pk, db.pk]


def test_status_filters_by_the_status_field_and_label_code_by_the_label(alice_api, alice, vps_plan):
    # A rebooting service is "active" (confirmed status) and "in_progress" (its label): each
    # filter matches the field of the same name in the answer.
    web = f.service(alice, vps_plan, name="web-1")
    busy = f.service(alice, vps_plan, name="web-2", operation=Operation.REBOOT)
    f.service(alice, vps_plan, name="db-1", suspended_by_admin=True, status=Status.SUSPENDED)

    by_status = alice_api.get("/api/v1/services/?status=active&ordering=id").json()["results"]
    by_label = alice_api.get("/api/v1/services/?label_code=in_progress").json()["results"]

    assert [row["id"] for row in by_status] == [web.pk, busy.pk]
    assert {row["status"] for row in by_status} == {"active"}
    assert [row["id"] for row in by_label] == [busy.pk]
    assert [row["label_code"] for row in by_label] == ["in_progress"]
    assert alice_api.get("/api/v1/services/?status=in_progress").status_code == 400


def test_ordering_takes_several_keys_repeated_or_comma_separated(alice_api, alice, vps_plan):
    a2 = f.service(alice, vps_plan, name="a")
    b1 = f.service(alice, vps_plan, name="b", status=Status.SUSPENDED, suspended_by_admin=True)
    a1 = f.service(alice, vps_plan, name="a", status=Status.SUSPENDED, suspended_by_admin=True)
    expected = [a1.pk, b1.pk, a2.pk]  # suspended before active ("-status"), then by name, then id

    def ids(query: str) -> list[int]:
        response = alice_api.get(f"/api/v1/services/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("ordering=-status&ordering=name&ordering=id") == expected
    assert ids("ordering=-status,name,id") == expected
    bad = alice_api.get("/api/v1/services/?ordering=name&ordering=client")
    assert bad.status_code == 400
    assert "ordering" in bad.json()


def test_services_list_paginates_by_limit_and_offset(alice_api, alice, vps_plan):
    created = [f.service(alice, vps_plan, name=f"s{i}") for i in range(5)]

    page = alice_api.get("/api/v1/services/?ordering=id&limit=2&offset=2").json()

    assert page["count"] == 5
    assert [row["id"] for row in page["results"]] == [s.pk for s in created[2:4]]
    assert page["next"] and page["previous"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("status=bogus", "status"),
        ("label_code=bogus", "label_code"),
        ("id=abc", "id"),
        ("id=1.5", "id"),
        ("product_type=x", "product_type"),
        ("ordering=client", "ordering"),
    ],
)
def test_bad_list_parameters_answer_400_naming_the_field(alice_api, alice, query, field):
    response = alice_api.get(f"/api/v1/services/?{query}")

    assert response.status_code == 400
    assert field in response.json()
    assert response.json()["code"] == "invalid"


def test_unknown_or_foreign_product_type_matches_nothing(alice_api, alice, vps_plan):
    f.service(alice, vps_plan)
    other = f.product_type(f.provider("Other Hosting"), "vds")

    for value in (other.pk, 0, 2**70):
        response = alice_api.get(f"/api/v1/services/?product_type={value}")
        assert response.status_code == 200
        assert response.json()["count"] == 0


def test_service_detail_shows_parameters_addons_and_status(alice_api, alice, vps_plan):
    ram = f.addon(vps_plan, "ram", unit="GB", included=Decimal(1), prices={"month": "2.00"})
    os_addon = f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15.00"}})
    service = f.service(
        alice,
        vps_plan,
        name="web-1",
        addons={ram: "4"},
        parameters={"hostname": "web.example.com"},
        status=Status.SUSPENDED,
        suspended_by_client=True,
    )
    from openbill.services.models import ServiceAddon

    ServiceAddon.objects.create(service=service, addon=os_addon, enum_item=os_addon.items.get(code="windows"))

    body = alice_api.get(f"/api/v1/services/{service.pk}/").json()

    assert body["name"] == "web-1"
    assert body["tariff"]["name"] == "VPS-1"
    assert body["status"] == "suspended"
    assert body["label"] == "Suspended"
    assert body["suspend_reasons"] == ["client"]
    assert body["parameters"] == {"hostname": "web.example.com"}
    assert {a["resource"]: a["quantity"] for a in body["addons"]} == {"ram": "4", "os": "0"}
    assert next(a for a in body["addons"] if a["resource"] == "os")["enum_item"]["code"] == "windows"
    # 10.00 the month + 3 GB over the included one at 2.00 + Windows 15.00
    assert body["renew_amount"] == "31.00"
    assert body["renew_cost_text"] == "31.00 USD/month"


def test_service_detail_shows_the_running_operation(alice_api, alice, vps_plan):
    service = f.service(alice, vps_plan, operation=Operation.REBOOT)

    body = alice_api.get(f"/api/v1/services/{service.pk}/").json()

    assert body["label_code"] == "in_progress"
    assert body["label"] == "In progress (reboot)"
    assert body["operation"] == "reboot"


def test_service_history_lists_changes_newest_first(alice_api, alice, alice_user, vps_plan):
    service = f.service(alice, vps_plan)
    actor = Actor.of_user(alice_user)
    actions.suspend(service, reason=SuspendReason.CLIENT, actor=actor, now=NOW)
    actions.complete_operation(
        service.pk, Operation.SUSPENSION, actor=Actor.system("module"), now=NOW + timedelta(minutes=1)
    )

    rows = alice_api.get(f"/api/v1/services/{service.pk}/history/").json()["results"]

    assert rows[0]["from_status"] == "active"
    assert rows[0]["to_status"] == "suspended"
    assert rows[0]["to_label"] == "Suspended"
    assert rows[-1]["actor"] == alice_user.email


def test_history_hides_which_staff_member_acted(alice_api, alice, staff, vps_plan):
    service = f.service(alice, vps_plan)
    actions.suspend(service, reason=SuspendReason.ADMIN, actor=Actor.of_user(staff), now=NOW)

    rows = alice_api.get(f"/api/v1/services/{service.pk}/history/").json()["results"]

    assert rows[0]["actor_kind"] == "staff"
    assert staff.email not in str(rows)


def test_deleted_services_are_not_listed(alice_api, alice, vps_plan):
    gone = f.service(alice, vps_plan, status=Status.DELETED)

    assert alice_api.get("/api/v1/services/").json()["count"] == 0
    assert alice_api.get(f"/api/v1/services/{gone.pk}/").status_code == 404


def test_malformed_or_huge_service_ids_are_not_found(alice_api, alice):
    assert alice_api.get("/api/v1/services/abc/").status_code == 404
    assert alice_api.get("/api/v1/services/99999999999999999999999/").status_code == 404
    assert alice_api.get("/api/v1/services/99999999999999999999999/history/").status_code == 404


def test_unknown_api_paths_answer_json_404(alice_api):
    for url in ("/api/v1/nothing-here/", "/api/v1/services/0.5/", "/api/v1/tokens/abc/"):
        response = alice_api.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert alice_api.post("/api/v1/nothing-here/", {}).status_code == 404


def test_a_missing_final_slash_is_named_in_the_404(alice_api):
    response = alice_api.get("/api/v1/services")

    assert response.status_code == 404
    assert "/api/v1/services/" in response.json()["detail"]


def test_a_listed_service_is_what_drfs_own_walk_of_the_serializer_gives(alice_api, alice, vps_plan):
    """The list's rows are written directly (ServiceSerializer.to_representation): each is the
    dict DRF's field-by-field walk of the declared fields gives, for services in several states
    and with add-ons, of a provider in Europe/Madrid."""
    from rest_framework import serializers as drf

    from openbill.clients.models import Provider
    from openbill.services.api.serializers import ServiceSerializer

    Provider.objects.filter(pk=alice.provider_id).update(time_zone="Europe/Madrid")
    ram = f.addon(vps_plan, "ram", unit="GB", prices={"month": "2.00"})
    f.service(alice, vps_plan, name="plain")
    f.service(alice, vps_plan, name="big", addons={ram: "3"}, status=Status.SUSPENDED, suspended_by_client=True)
    f.service(alice, vps_plan, name="busy", operation="reboot")
    daily = f.service(alice, vps_plan, name="daily", period="day")
    Service.objects.filter(pk=daily.pk).update(expires_at=None)  # not paid yet
    listed = alice_api.get("/api/v1/services/?limit=50").json()["results"]
    assert len(listed) == 4
    # Moments in UTC, whatever the provider's zone: the API's rule.
    assert sorted(row["expires_at"] is None or row["expires_at"].endswith("Z") for row in listed) == [True] * 4
    assert [row["expires_at"] for row in listed if row["name"] == "daily"] == [None]
    for row in listed:
        service = selectors.priced([Service.objects.get(pk=row["id"])], alice)[0]
        serializer = ServiceSerializer(context={"now": timezone.now()})
        walked = drf.ModelSerializer.to_representation(serializer, service)
        assert row == walked, row["name"]
