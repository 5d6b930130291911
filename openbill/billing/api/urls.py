"""Routes of the billing API under /api/v1/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from .views import LedgerViewSet

router = SimpleRouter()
router.register("ledger", LedgerViewSet, basename="api-ledger")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
