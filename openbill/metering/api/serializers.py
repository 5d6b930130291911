"""Usage API bodies. Quantities and amounts are decimal strings, never floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from openbill.api.fields import CurrencyField, DecimalStringField, MoneyField, money_string
from openbill.catalog.models import StatisticsPeriod
from openbill.core.errors import DomainError
from openbill.metering.actions import MAX_BATCH
from openbill.metering.selectors import AddonSeries, OverageRow, check_statistics_day
from openbill.services.models import Service


class UsageRecordInSerializer(serializers.Serializer):
    """One usage record. The API checks each record's shape (a 400 names the record and the
    field); the ingestion then judges its content one record at a time and lists in
    ``rejected`` what it refused (unknown service or resource, a negative quantity, a bucket in
    the future or in a closed period, an id already sent with another quantity)."""

    id = serializers.CharField(
        max_length=200, trim_whitespace=False, help_text="Unique per provider; sending it again is harmless."
    )
    service = serializers.IntegerField(help_text="The service's id.")
    resource = serializers.CharField(
        max_length=50,
        trim_whitespace=False,
        help_text="A measured parameter of one of the tariff's add-ons billed by statistics (e.g. rx_bytes).",
    )
    at = serializers.DateTimeField(help_text="Start of the time bucket, with a time zone; not in the future.")
    quantity = serializers.CharField(
        max_length=40, trim_whitespace=False, help_text='A decimal string, e.g. "1250" or "0.5"; not negative.'
    )
    unit = serializers.CharField(
        max_length=20,
        required=False,
        trim_whitespace=False,
        help_text="bytes, KiB, MiB, GiB, TiB, ns, us, ms, s, min, h, day… Default: the add-on's unit.",
    )


class UsageBatchSerializer(serializers.Serializer):
    records = serializers.ListField(child=UsageRecordInSerializer(), min_length=1, max_length=MAX_BATCH)


class RejectedRecordSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in the batch.")
    id = serializers.CharField(allow_null=True)
    field = serializers.CharField()
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Records stored by this call.")
    duplicates = serializers.IntegerField(help_text="Records already stored with the same quantity (ignored).")
    rejected = RejectedRecordSerializer(many=True)


class DayUsageSerializer(serializers.Serializer):
    on = serializers.DateField()
    usage = DecimalStringField(help_text="In the add-on's unit.")
    overage = serializers.BooleanField(help_text="An overage day.")


class AddonStatisticsSerializer(serializers.Serializer):
    addon = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    reporting_period = serializers.ChoiceField(choices=StatisticsPeriod.choices)
    total = DecimalStringField(help_text="In the add-on's unit.")
    days = DayUsageSerializer(many=True)


class StatisticsSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    addons = AddonStatisticsSerializer(many=True)


class OverageLineSerializer(serializers.Serializer):
    addon = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    reporting_period = serializers.ChoiceField(
        choices=StatisticsPeriod.choices, help_text="month or day (then ``included`` is per day)"
    )
    included = DecimalStringField()
    used = DecimalStringField()
    overage = DecimalStringField()
    cost = MoneyField()
    over_maximum = serializers.BooleanField()


class ServiceOverageSerializer(serializers.Serializer):
    service = serializers.IntegerField()
    period = serializers.CharField(help_text="YYYY-MM")
    currency = CurrencyField()
    total = MoneyField()
    addons = OverageLineSerializer(many=True)


class StatisticsQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: the 1st of this month).")
    end = serializers.DateField(required=False, help_text="Last day (default: today).")

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        for name in ("start", "end"):
            value = attrs.get(name)
            if isinstance(value, date):
                try:
                    check_statistics_day(value, name)
                except DomainError as exc:
                    raise serializers.ValidationError({name: [exc.message]}) from None
        # The period itself (with its defaults) is checked by selectors.check_statistics_period.
        return attrs


class OverageQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(
        r"^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$",
        required=False,
        help_text="YYYY-MM, 1970 to 2999 (default: this month).",
    )

    def validate_period(self, value: str) -> date:
        """The month's first day."""
        return datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 - a calendar month


def _decimal_text(value: object) -> str:
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


def statistics_data(service: Service, start: date, end: date, series: list[AddonSeries]) -> dict[str, Any]:
    """The body of StatisticsSerializer."""
    return {
        "service": service.pk,
        "start": start,
        "end": end,
        "addons": [
            {
                "addon": line.addon.pk,
                "name": line.addon.name,
                "unit": line.addon.unit,
                "reporting_period": line.addon.statistics_period,
                "total": _decimal_text(line.total),
                "days": [{"on": day.on, "usage": _decimal_text(day.usage), "overage": day.over} for day in line.days],
            }
            for line in series
        ],
    }


def overage_data(service: Service, month: date, rows: list[OverageRow]) -> dict[str, Any]:
    """The body of ServiceOverageSerializer."""
    currency = service.client.currency
    return {
        "service": service.pk,
        "period": f"{month:%Y-%m}",
        "currency": currency,
        "total": money_string(sum((r.cost_amount for r in rows), Decimal(0)), currency),
        "addons": [
            {
                "addon": row.addon.pk,
                "name": row.addon.name,
                "unit": row.addon.unit,
                "reporting_period": row.addon.statistics_period,
                "included": _decimal_text(row.included),
                "used": _decimal_text(row.used),
                "overage": _decimal_text(row.overage),
                "cost": money_string(row.cost_amount, currency),
                "over_maximum": row.over_maximum,
            }
            for row in rows
        ],
    }
