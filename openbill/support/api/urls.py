"""Routes of the support API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .views import AttachmentView, DepartmentListView, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="api-ticket")

urlpatterns: list[URLPattern | URLResolver] = [
    path("tickets/attachments/<int:pk>/", AttachmentView.as_view(), name="api-ticket-attachment"),
    path("support/departments/", DepartmentListView.as_view(), name="api-support-departments"),
    *router.urls,
]
