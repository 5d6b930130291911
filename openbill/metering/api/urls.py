"""Routes of the metering API under /api/v1/."""

from django.urls import URLPattern, path

from .views import ServiceOverageView, ServiceStatisticsView, UsageIngestView

urlpatterns: list[URLPattern] = [
    path("usage/", UsageIngestView.as_view(), name="api-usage"),
    path("services/<int:pk>/statistics/", ServiceStatisticsView.as_view(), name="api-service-statistics"),
    path("services/<int:pk>/overage/", ServiceOverageView.as_view(), name="api-service-overage"),
]
