"""Routes of the payments API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="api-payment")

urlpatterns: list[URLPattern | URLResolver] = [
    path("payment-methods/", views.PaymentMethodsView.as_view(), name="api-payment-methods"),
    *router.urls,
]
