"""Client-area URLs of usage statistics and overage (names in the ``clientarea`` namespace)."""

from django.urls import URLPattern, path

from . import views_metering

urlpatterns: list[URLPattern] = [
    path("services/<int:pk>/statistics/", views_metering.service_statistics, name="service_statistics"),
    path("services/<int:pk>/overage/", views_metering.service_overage, name="service_overage"),
]
