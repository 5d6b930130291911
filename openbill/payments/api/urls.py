"""Routes of the payments API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="api-payment")
router.register("cards", views.SavedCardViewSet, basename="api-card")

urlpatterns: list[URLPattern | URLResolver] = [
    path("payment-methods/", views.PaymentMethodsView.as_view(), name="api-payment-methods"),
    path("payments/<int:pk>/pay-by-card/", views.PayByCardView.as_view(), name="api-payment-pay-by-card"),
    path("staff/payments/<int:pk>/refund/", views.StaffRefundView.as_view(), name="api-staff-payment-refund"),
    *router.urls,
]
