from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("invoices", views.DocumentViewSet, basename="api-invoice")
router.register("staff/promo-codes", views.StaffPromoCodeViewSet, basename="api-staff-promo-code")

urlpatterns: list[URLPattern | URLResolver] = [
    path("billing-profile/", views.BillingProfileView.as_view(), name="api-billing-profile"),
    *router.urls,
]
