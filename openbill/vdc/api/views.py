"""A VDC's machines in the API: ``/api/v1/services/{id}/machines/`` (list, create), one machine
(read, delete) and its ``start``/``stop``/``reboot``. Scoped to the caller's own data centers:
another client's service or machine, or a service that is not a VDC, is a 404. Every change is
queued: the machine comes back "in progress" and its status follows when libvirt has done it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.core.actors import Actor
from openbill.core.replica import ReplicaReadsMixin
from openbill.services.models import Service

from .. import actions, selectors
from ..models import Machine
from . import serializers as s


class _VdcMixin(ReplicaReadsMixin, ClientScopedMixin):
    filter_backends: list[Any] = []
    replica_actions = ("get",)  # every GET here only reads

    def vdc(self) -> Service:
        return get_object_or_404(
            selectors.client_vdcs(self.client).select_related("client__provider", "product_type"),
            pk=self.kwargs["service_pk"],
        )

    def machine(self) -> Machine:
        return get_object_or_404(selectors.machines_of(self.vdc()), pk=self.kwargs["pk"])

    def render(self, machine: Machine, status: int = 200) -> Response:
        fresh = Machine.objects.select_related("template", "address").get(pk=machine.pk)
        return Response(s.MachineSerializer(fresh).data, status=status)


class MachineListView(_VdcMixin, generics.ListAPIView[Machine]):
    """The data center's machines, oldest first, with their statuses."""

    queryset = Machine.objects.none()
    serializer_class = s.MachineSerializer

    def get_queryset(self) -> QuerySet[Machine]:
        return selectors.machines_of(self.vdc()).order_by("id")

    @extend_schema(
        summary="Create a machine in the data center (it must fit what is left of the pool)",
        request=s.MachineCreateSerializer,
        responses={201: s.MachineSerializer},
    )
    def post(self, request: Request, service_pk: int) -> Response:
        body = s.MachineCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        machine = actions.create_machine(
            self.vdc(), actor=Actor.client_of(request), now=timezone.now(), **body.validated_data
        )
        return self.render(machine, status=201)


class MachineDetailView(_VdcMixin, generics.GenericAPIView[Machine]):
    queryset = Machine.objects.none()
    serializer_class = s.MachineSerializer

    @extend_schema(summary="One machine of the data center")
    def get(self, request: Request, service_pk: int, pk: int) -> Response:
        return self.render(self.machine())

    @extend_schema(
        summary="Delete the machine (queued; its share of the pool is freed when done)",
        request=None,
        responses={202: s.MachineSerializer},
    )
    def delete(self, request: Request, service_pk: int, pk: int) -> Response:
        machine = actions.delete_machine(self.machine(), actor=Actor.client_of(request), now=timezone.now())
        return self.render(machine, status=202)


def _verb(name: str, summary: str) -> type[_VdcMixin]:
    action = getattr(actions, f"{name}_machine")

    class VerbView(_VdcMixin, generics.GenericAPIView[Machine]):
        queryset = Machine.objects.none()
        serializer_class = s.MachineSerializer

        @extend_schema(summary=summary, request=None, responses={202: s.MachineSerializer})
        def post(self, request: Request, service_pk: int, pk: int) -> Response:
            machine = action(self.machine(), actor=Actor.client_of(request), now=timezone.now())
            return self.render(machine, status=202)

    VerbView.__name__ = VerbView.__qualname__ = f"Machine{name.title()}View"
    return VerbView


MachineStartView = _verb("start", "Start a stopped machine")
MachineStopView = _verb("stop", "Power a running machine off")
MachineRebootView = _verb("reboot", "Reboot a running machine")


class MachineTemplateListView(_VdcMixin, generics.ListAPIView[Any]):
    """The templates a new machine may use: only those that fit what is left of the pool."""

    queryset = Machine.objects.none()
    serializer_class = s.MachineTemplateSerializer

    def get_queryset(self) -> Any:
        return selectors.fitting_templates(self.vdc())


class PoolView(_VdcMixin, generics.GenericAPIView[Any]):
    queryset = Machine.objects.none()
    serializer_class = s.PoolLineSerializer

    @extend_schema(summary="The pool: total, used and left of each resource", responses=s.PoolLineSerializer(many=True))
    def get(self, request: Request, service_pk: int) -> Response:
        lines = selectors.pool_lines(self.vdc())
        rows = [{"resource": x.resource, "total": x.total, "used": x.used, "left": x.left} for x in lines]
        # Paginated like every list of the API (five resources: one page).
        return self.get_paginated_response(self.paginate_queryset(rows))  # type: ignore[arg-type]  # a list pages like a queryset
