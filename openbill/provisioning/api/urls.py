"""Routes of the provisioning API under /api/v1/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from .views import ServiceLifecycleViewSet, StaffServiceViewSet, StaffTaskViewSet

router = SimpleRouter()
router.register("services", ServiceLifecycleViewSet, basename="api-service-lifecycle")
router.register("staff/services", StaffServiceViewSet, basename="api-staff-service")
router.register("staff/tasks", StaffTaskViewSet, basename="api-staff-task")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
