"""Usage in the API: ingestion for providers, statistics and overage for clients."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.authentication import TokenAuthentication
from openbill.api.base import ClientScopedMixin
from openbill.api.fields import money_string
from openbill.api.parsers import JSONParser
from openbill.api.permissions import IsProviderMeter
from openbill.core.timeutil import local_date
from openbill.metering import actions, rating, selectors
from openbill.metering.models import ProviderToken
from openbill.services.models import Service

from .serializers import (
    IngestResultSerializer,
    OverageQuerySerializer,
    ServiceOverageSerializer,
    StatisticsQuerySerializer,
    StatisticsSerializer,
    UsageBatchSerializer,
)


def _decimal_text(value: object) -> str:
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


# field → (JSON types, maximum length of a string, required)
_SHAPE: dict[str, tuple[tuple[type, ...], int | None, bool]] = {
    "id": ((str,), 200, True),
    "service": ((int,), None, True),
    "resource": ((str,), 50, True),
    "at": ((str,), None, True),
    "quantity": ((str,), 40, True),
    "unit": ((str,), 20, False),
}
_MAX_SHAPE_ERRORS = 20


def _well_shaped(record: Any) -> bool:
    """True for a record exactly as the schema wants it (decoded JSON: plain dict, str, int)."""
    if type(record) is not dict:
        return False
    try:
        rid, service, resource, at, quantity = (
            record["id"],
            record["service"],
            record["resource"],
            record["at"],
            record["quantity"],
        )
    except KeyError:
        return False
    unit = record.get("unit", "x")
    return (
        type(rid) is str
        and 0 < len(rid) <= 200
        and type(service) is int
        and type(resource) is str
        and 0 < len(resource) <= 50
        and type(at) is str
        and at != ""
        and type(quantity) is str
        and 0 < len(quantity) <= 40
        and type(unit) is str
        and 0 < len(unit) <= 20
    )


def shape_errors(records: list[Any]) -> dict[str, dict[str, list[str]]]:
    """The records whose shape breaks the schema (a missing field, a wrong JSON type, a string
    too long): ``{"<index>": {"<field>": [message]}}``, the first few only."""
    errors: dict[str, dict[str, list[str]]] = {}
    for index, record in enumerate(records):
        if len(errors) >= _MAX_SHAPE_ERRORS:
            break
        if _well_shaped(record):  # the usual case, in a few comparisons
            continue
        if not isinstance(record, dict):
            errors[str(index)] = {"non_field_errors": [_("A record must be an object.")]}
            continue
        problems: dict[str, list[str]] = {}
        for name, (types, longest, required) in _SHAPE.items():
            if name not in record:
                if required:
                    problems[name] = [_("This field is required.")]
                continue
            value = record[name]
            if not isinstance(value, types) or isinstance(value, bool):
                problems[name] = [_("Wrong type.")]
            elif isinstance(value, str) and (not value or (longest is not None and len(value) > longest)):
                problems[name] = [_("Between 1 and %(count)s characters.") % {"count": longest or "∞"}]
        if problems:
            errors[str(index)] = problems
    return errors


class UsageIngestView(GenericAPIView):  # type: ignore[type-arg]
    """Report usage: a batch of up to 5,000 records, idempotent per record id.

    Takes a provider's API token. Bad records (unknown service or resource, a negative
    quantity, a bucket in the future or in a closed period, an id already sent with another
    quantity) are listed in ``rejected`` with the reason; the good records of the batch are kept.
    """

    authentication_classes = [TokenAuthentication]  # a token only: a meter has no session
    permission_classes = [IsProviderMeter]
    token_kind = "provider"  # documented as providerTokenAuth
    parser_classes = [JSONParser]
    serializer_class = UsageBatchSerializer
    may_conflict = False  # a record that conflicts with a stored one is listed in "rejected"

    @extend_schema(request=UsageBatchSerializer, responses=IngestResultSerializer, summary="Report usage records")
    def post(self, request: Request) -> Response:
        token = request.auth
        assert isinstance(token, ProviderToken)
        body = request.data
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            raise ValidationError({"records": [_("Send a non-empty list of records.")]})
        if len(records) > actions.MAX_BATCH:
            raise ValidationError(
                {"records": [_("Send at most %(count)s records per request.") % {"count": actions.MAX_BATCH}]}
            )
        problems = shape_errors(records)
        if problems:
            raise ValidationError({"records": problems})
        result = actions.ingest(token.provider, records, now=timezone.now())
        return Response(result.as_dict())


class ServiceStatisticsView(ClientScopedMixin, GenericAPIView):  # type: ignore[type-arg]
    """Consumption by day of each add-on billed by statistics, overage days marked."""

    queryset = Service.objects.none()
    serializer_class = StatisticsSerializer
    pagination_class = None
    filter_backends: list[type] = []

    @extend_schema(parameters=[StatisticsQuerySerializer], responses=StatisticsSerializer, summary="Usage by day")
    def get(self, request: Request, pk: int) -> Response:
        service = get_object_or_404(
            Service.objects.for_client(self.client).select_related("client__provider", "product_type"), pk=pk
        )
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = local_date(timezone.now(), service.client.provider.tz)
        start: date = query.validated_data.get("start") or rating.month_start(today)
        end: date = query.validated_data.get("end") or max(today, start)
        selectors.check_statistics_period(start, end)  # a 400 about "end", never a shorter period
        series = selectors.daily_consumption(service, start, end)
        return Response(
            {
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
                        "days": [
                            {"on": day.on, "usage": _decimal_text(day.usage), "overage": day.over} for day in line.days
                        ],
                    }
                    for line in series
                ],
            }
        )


class ServiceOverageView(ClientScopedMixin, GenericAPIView):  # type: ignore[type-arg]
    """The Service overage section: one line per add-on billed by statistics for a month."""

    queryset = Service.objects.none()
    serializer_class = ServiceOverageSerializer
    pagination_class = None
    filter_backends: list[type] = []

    @extend_schema(parameters=[OverageQuerySerializer], responses=ServiceOverageSerializer, summary="Overage by month")
    def get(self, request: Request, pk: int) -> Response:
        service = get_object_or_404(
            Service.objects.for_client(self.client).select_related("client__provider", "product_type"), pk=pk
        )
        query = OverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data.get("period")
        month = (
            datetime.strptime(period, "%Y-%m").date()  # noqa: DTZ007 - a calendar month
            if period
            else selectors.current_month(service, timezone.now())
        )
        currency = service.client.currency
        rows = selectors.overage_rows(service, month)
        return Response(
            {
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
        )
