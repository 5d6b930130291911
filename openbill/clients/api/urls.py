"""Routes of the clients API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from .views import BalanceView

urlpatterns: list[URLPattern | URLResolver] = [
    path("balance/", BalanceView.as_view(), name="api-balance"),
]
