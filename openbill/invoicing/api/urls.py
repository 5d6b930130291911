from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("invoices", views.DocumentViewSet, basename="api-invoice")

urlpatterns: list[URLPattern | URLResolver] = [
    path("billing-profile/", views.BillingProfileView.as_view(), name="api-billing-profile"),
    *router.urls,
]
