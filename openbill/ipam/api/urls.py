"""Routes of the IP addresses API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("services/<int:pk>/ips/", views.ServiceIpsView.as_view(), name="api-service-ips"),
    path("services/<int:pk>/ips/quote/", views.ServiceIpQuoteView.as_view(), name="api-service-ips-quote"),
    path("services/<int:pk>/ips/<str:ip>/", views.ServiceIpView.as_view(), name="api-service-ip"),
    path("staff/ipam/pools/", views.PoolListView.as_view(), name="api-ipam-pools"),
    path("staff/ipam/pools/<int:pk>/", views.PoolDetailView.as_view(), name="api-ipam-pool"),
]
