"""Usage in the API: ingestion for providers, statistics and overage for clients."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from openbill.api.authentication import TokenAuthentication
from openbill.api.base import ClientScopedMixin
from openbill.api.parsers import JSONParser
from openbill.api.permissions import IsProviderMeter
from openbill.metering import actions, selectors
from openbill.metering.models import ProviderToken
from openbill.services.models import Service

from .serializers import (
    IngestResultSerializer,
    OverageQuerySerializer,
    ServiceOverageSerializer,
    StatisticsQuerySerializer,
    StatisticsSerializer,
    UsageBatchSerializer,
    overage_data,
    statistics_data,
)

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


class _ServiceUsageView(ClientScopedMixin, GenericAPIView):  # type: ignore[type-arg]
    """A read about one of the caller's services (another client's id is a 404)."""

    queryset = Service.objects.none()
    pagination_class = None
    filter_backends: list[type] = []

    def read(self, pk: int, query_class: type[Serializer[Any]]) -> tuple[Service, dict[str, Any]]:
        """The service, then the query string as ``query_class`` reads it (a 400 names the field)."""
        service = get_object_or_404(
            Service.objects.for_client(self.client).select_related("client__provider", "product_type"), pk=pk
        )
        query = query_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return service, query.validated_data


class ServiceStatisticsView(_ServiceUsageView):
    """Consumption by day of each add-on billed by statistics, overage days marked."""

    serializer_class = StatisticsSerializer

    @extend_schema(parameters=[StatisticsQuerySerializer], responses=StatisticsSerializer, summary="Usage by day")
    def get(self, request: Request, pk: int) -> Response:
        service, query = self.read(pk, StatisticsQuerySerializer)
        start, end = selectors.statistics_period(service, **query, now=timezone.now())
        return Response(statistics_data(service, start, end, selectors.daily_consumption(service, start, end)))


class ServiceOverageView(_ServiceUsageView):
    """The Service overage section: one line per add-on billed by statistics for a month."""

    serializer_class = ServiceOverageSerializer

    @extend_schema(parameters=[OverageQuerySerializer], responses=ServiceOverageSerializer, summary="Overage by month")
    def get(self, request: Request, pk: int) -> Response:
        service, query = self.read(pk, OverageQuerySerializer)
        month = query.get("period") or selectors.current_month(service, timezone.now())
        return Response(overage_data(service, month, selectors.overage_rows(service, month)))
