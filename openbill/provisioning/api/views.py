"""Lifecycle verbs of the API.

Client: ``POST /api/v1/services/{id}/suspend/``, ``resume/``, ``reboot/``, ``delete/``,
``cancel-deletion/``, and ``GET …/certificate/`` (SSL) — scoped to the caller's services (another client's id is a 404); each
calls one services action and answers the service as it now is. A state that does not allow
the verb is a 409; a verb the product type forbids is a 403.

Staff (``is_staff``): ``POST /api/v1/staff/services/{id}/suspend/`` and ``resume/`` (as
administrator), ``delete/`` (now or at the period end, refund or not), the queue
``GET /api/v1/staff/tasks/`` and ``POST /api/v1/staff/tasks/{id}/retry/``, ``complete/``,
``cancel/``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from openbill.api.base import ClientScopedMixin
from openbill.api.permissions import IsStaff
from openbill.core.actors import Actor
from openbill.core.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from openbill.provisioning import staff
from openbill.provisioning.models import Certificate, ProvisioningTask, TaskState
from openbill.services import actions, selectors
from openbill.services.choices import SuspendReason
from openbill.services.models import Service

from .serializers import (
    CertificateSerializer,
    LifecycleServiceSerializer,
    StaffDeleteSerializer,
    StaffNoteSerializer,
    TaskSerializer,
)


class _Answer:
    def answer(self, request: Request, pk: int) -> Response:
        service = selectors.with_pricing(Service.objects.filter(pk=pk)).get()
        return Response(LifecycleServiceSerializer(service, context={"request": request, "now": timezone.now()}).data)


class ServiceLifecycleViewSet(ClientScopedMixin, _Answer, viewsets.GenericViewSet[Service]):
    """The client's lifecycle verbs on its own services."""

    queryset = Service.objects.none()
    serializer_class = LifecycleServiceSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[Service]:
        return Service.objects.for_client(self.client)

    @extend_schema(request=None, responses=LifecycleServiceSerializer, summary="Suspend the service (client)")
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        actions.suspend(service, reason=SuspendReason.CLIENT, actor=Actor.client_of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(request=None, responses=LifecycleServiceSerializer, summary="Lift the client's own suspension")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        actions.resume(service, reason=SuspendReason.CLIENT, actor=Actor.client_of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(request=None, responses=LifecycleServiceSerializer, summary="Reboot a server")
    @action(detail=True, methods=["post"])
    def reboot(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        actions.reboot(service, actor=Actor.client_of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(
        request=None,
        responses=LifecycleServiceSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Delete the service as its product type allows",
        description="Now, or at the end of the paid period (``delete_at`` then shows the date); the "
        "unused part is refunded to the balance when the product type says so.",
    )
    # Not named ``delete``: a viewset method of that name would answer HTTP DELETE on every route.
    @action(detail=True, methods=["post"], url_path="delete", url_name="delete")
    @idempotent
    def delete_service(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        actions.delete_service(service, actor=Actor.client_of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(request=None, responses=LifecycleServiceSerializer, summary="Keep a service scheduled for deletion")
    @action(detail=True, methods=["post"], url_path="cancel-deletion")
    def cancel_deletion(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        actions.cancel_scheduled_deletion(service, actor=Actor.client_of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(responses=CertificateSerializer, summary="Download the SSL certificate, its chain and key")
    @action(detail=True, methods=["get"])
    def certificate(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        certificate = get_object_or_404(Certificate.objects.all(), service=service)
        return Response(CertificateSerializer(certificate).data)

    extra_error_statuses = (422,)


class StaffServiceViewSet(_Answer, viewsets.GenericViewSet[Service]):
    """Staff verbs on any service of the provider."""

    permission_classes = [IsStaff]  # staff, past the TOTP code
    queryset = Service.objects.none()
    serializer_class = LifecycleServiceSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[Service]:
        return Service.objects.all()

    def _service(self, pk: str | None) -> Service:
        return get_object_or_404(self.get_queryset(), pk=pk)

    @extend_schema(request=None, responses=LifecycleServiceSerializer, summary="Suspend as administrator")
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        service = self._service(pk)
        actions.suspend(service, reason=SuspendReason.ADMIN, actor=Actor.of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(request=None, responses=LifecycleServiceSerializer, summary="Lift the administrator's suspension")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        service = self._service(pk)
        actions.resume(service, reason=SuspendReason.ADMIN, actor=Actor.of(request), now=timezone.now())
        return self.answer(request, service.pk)

    @extend_schema(
        request=StaffDeleteSerializer,
        responses=LifecycleServiceSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Delete a service (staff)",
    )
    # Not named ``delete``: a viewset method of that name would answer HTTP DELETE on every route.
    @action(detail=True, methods=["post"], url_path="delete", url_name="delete")
    @idempotent
    def delete_service(self, request: Request, pk: str | None = None) -> Response:
        service = self._service(pk)
        body = StaffDeleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.delete_service(
            service,
            actor=Actor.of(request),
            now=timezone.now(),
            at_period_end=body.validated_data["at_period_end"],
            refund=body.validated_data["refund"],
        )
        return self.answer(request, service.pk)

    extra_error_statuses = (422,)


class StaffTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProvisioningTask]):
    """The staff work queue: operations waiting for a person (manual work, permanent failures)."""

    permission_classes = [IsStaff]  # staff, past the TOTP code
    queryset = ProvisioningTask.objects.none()
    serializer_class = TaskSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ProvisioningTask]:
        if self.action == "list":
            return staff.staff_queue()  # type: ignore[no-any-return]
        return ProvisioningTask.objects.select_related("service__client", "module").order_by("pk")

    def _done(self, task_id: int) -> Response:
        task = ProvisioningTask.objects.select_related("service__client", "module").get(pk=task_id)
        return Response(TaskSerializer(task).data)

    @extend_schema(request=None, responses=TaskSerializer, summary="Run a waiting operation again")
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        staff.staff_retry(task, actor=Actor.of(request), now=timezone.now())
        return self._done(task.pk)

    @extend_schema(request=StaffNoteSerializer, responses=TaskSerializer, summary="Mark the operation done by hand")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        body = StaffNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        staff.staff_complete(task, actor=Actor.of(request), now=timezone.now(), note=body.validated_data["note"])
        return self._done(task.pk)

    @extend_schema(request=StaffNoteSerializer, responses=TaskSerializer, summary="Give the operation up")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        body = StaffNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        staff.staff_cancel(task, actor=Actor.of(request), now=timezone.now(), note=body.validated_data["note"])
        return self._done(task.pk)


__all__ = ["ServiceLifecycleViewSet", "StaffServiceViewSet", "StaffTaskViewSet", "TaskState"]
