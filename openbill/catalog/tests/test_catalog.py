"""The catalog: prices of a period with add-ons, add-on quantities, and service parameters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from openbill.catalog.models import Addon, BillingType, PeriodPrice, ValueType
from openbill.catalog.pricing import addon_amount, period_price, tariff_period_amount
from openbill.core.tests import factories as f


@pytest.mark.django_db
def test_a_tariff_sells_only_the_periods_it_has_a_price_for(vps_plan):
    assert period_price(vps_plan, "year").price == Decimal("500.00")
    assert period_price(vps_plan, "year").setup_fee == Decimal("5.00")
    assert tariff_period_amount(vps_plan, "3months", []) is None


@pytest.mark.django_db
def test_included_units_are_free_and_the_rest_are_priced_per_period(vps_plan):
    ram = f.addon(vps_plan, "ram", prices={"month": "2.00", "year": "20.00"}, included=1)

    assert addon_amount(ram, Decimal(1), None, "month") == Decimal(0)
    assert addon_amount(ram, Decimal(4), None, "month") == Decimal("6.00")
    assert addon_amount(ram, Decimal(4), None, "year") == Decimal("60.00")
    assert addon_amount(ram, Decimal(4), None, "day") == Decimal(0)  # no price for a day


@pytest.mark.django_db
def test_statistics_and_included_add_ons_are_never_charged_in_advance(vps_plan):
    traffic = f.addon(vps_plan, "traffic", billing_type=BillingType.STATISTICS, prices={"month": "5"})
    backups = f.addon(vps_plan, "backup", billing_type=BillingType.INCLUDED, prices={"month": "5"})

    assert addon_amount(traffic, Decimal(100), None, "month") == Decimal(0)
    assert addon_amount(backups, Decimal(3), None, "month") == Decimal(0)


@pytest.mark.django_db
def test_an_enumeration_item_carries_its_own_price(vps_plan):
    os = f.enum_addon(vps_plan, "os", {"debian": {"month": "0"}, "windows": {"month": "15.00"}})
    windows = os.items.get(code="windows")

    assert addon_amount(os, Decimal(1), windows, "month") == Decimal("15.00")
    assert addon_amount(os, Decimal(1), os.items.get(code="debian"), "month") == Decimal(0)
    assert tariff_period_amount(vps_plan, "month", [(os, Decimal(1), windows)]) == Decimal("25.00")


@pytest.mark.django_db
def test_prices_keep_more_decimals_than_the_currency(vps_type):
    plan = f.tariff(vps_type, "Precise", prices={"day": "0.3333"})
    ram = f.addon(plan, "ram", prices={"day": "0.0667"})

    assert tariff_period_amount(plan, "day", [(ram, Decimal(3), None)]) == Decimal("0.5334")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "valid"),
    [("1", True), ("2", True), ("64", True), ("0", False), ("65", False), ("1.5", False)],
)
def test_an_add_on_quantity_stays_within_its_bounds_and_step(quantity, valid, vps_plan):
    ram = Addon.objects.get(pk=f.addon(vps_plan, "ram", minimum=1, maximum=64, step=1).pk)

    if valid:
        ram.validate_quantity(Decimal(quantity))
    else:
        with pytest.raises(ValidationError):
            ram.validate_quantity(Decimal(quantity))


@pytest.mark.django_db
def test_a_disk_goes_in_steps_from_its_minimum(vps_plan):
    disk = Addon.objects.get(pk=f.addon(vps_plan, "disk", minimum=20, maximum=500, step=10).pk)

    disk.validate_quantity(Decimal(30))
    with pytest.raises(ValidationError, match="steps of 10"):
        disk.validate_quantity(Decimal(35))


@pytest.mark.django_db
def test_a_yes_no_add_on_takes_only_yes_or_no(vps_plan):
    backup = Addon.objects.get(pk=f.addon(vps_plan, "backup", value_type=ValueType.BOOLEAN, minimum=0, maximum=1).pk)

    backup.validate_quantity(Decimal(1))
    with pytest.raises(ValidationError):
        backup.validate_quantity(Decimal(2))


@pytest.mark.django_db
def test_an_add_on_maximum_below_its_minimum_is_refused(vps_plan):
    addon = Addon(tariff=vps_plan, resource="cpu", name="CPU", billing_type="order", minimum=4, maximum=2)

    with pytest.raises(ValidationError) as refused:
        addon.clean()

    assert "maximum" in refused.value.message_dict


@pytest.mark.django_db
def test_a_period_has_one_price_per_tariff_and_prices_are_not_negative(vps_plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        PeriodPrice.objects.create(tariff=vps_plan, period="month", price=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PeriodPrice.objects.create(tariff=vps_plan, period="6months", price=Decimal("-1"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("domain", "Example.COM.", "example.com"),
        ("domain", "münchen.de", "xn--mnchen-3ya.de"),
        ("hostname", " web.alice.test ", "web.alice.test"),
        ("text", "  anything  ", "anything"),
        ("email", "ops@example.com", "ops@example.com"),
    ],
)
def test_a_parameter_value_is_normalized(kind, value, stored, vps_type):
    parameter = f.parameter(vps_type, "p", kind=kind)

    assert parameter.clean_value(value) == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "value", "extra"),
    [
        ("domain", "not a domain", {}),
        ("domain", "-bad-.com", {}),
        ("domain", "localhost", {}),
        ("domain", "1.2.3.4", {}),
        ("email", "nobody", {}),
        ("csr", "hello", {}),
        ("choice", "centos", {"choices": ["debian", "ubuntu"]}),
        ("text", "abc", {"regex": r"[0-9]+"}),
        ("text", "", {}),
    ],
)
def test_a_bad_parameter_value_is_refused(kind, value, extra, vps_type):
    parameter = f.parameter(vps_type, "p", kind=kind, **extra)

    with pytest.raises(ValidationError):
        parameter.clean_value(value)


@pytest.mark.django_db
def test_an_optional_parameter_may_be_empty(vps_type):
    parameter = f.parameter(vps_type, "csr", kind="csr", required=False)

    assert parameter.clean_value("  ") == ""


@pytest.mark.django_db
def test_an_out_of_bounds_quantity_names_the_bounds_in_plain_numbers(vps_plan):
    disk = Addon.objects.get(pk=f.addon(vps_plan, "disk", name="Disk", minimum=20, maximum=500, step=10).pk)

    with pytest.raises(ValidationError) as refused:
        disk.validate_quantity(Decimal(600))

    assert refused.value.messages == ["Disk must be between 20 and 500."]
