"""Routes of the catalog API under /api/v1/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from .views import ProductTypeViewSet, TariffViewSet

router = SimpleRouter()
router.register("catalog/product-types", ProductTypeViewSet, basename="api-product-type")
router.register("catalog/tariffs", TariffViewSet, basename="api-tariff")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
