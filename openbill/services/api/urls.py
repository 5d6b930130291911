"""Routes of the services API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .views import ActiveServicesView, OveragesView, ServiceViewSet

router = SimpleRouter()
router.register("services", ServiceViewSet, basename="api-service")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("dashboard/active-services/", ActiveServicesView.as_view(), name="api-dashboard-active-services"),
    path("dashboard/overages/", OveragesView.as_view(), name="api-dashboard-overages"),
]
