"""Client-area URLs of a service's IP addresses (names in the ``clientarea`` namespace)."""

from django.urls import URLPattern, path

from . import views_ipam as v

urlpatterns: list[URLPattern] = [
    path("services/<int:pk>/ips/", v.service_ips, name="service_ips"),
    path("services/<int:pk>/ips/order/", v.service_ip_order, name="service_ip_order"),
    path("services/<int:pk>/ips/<int:address>/ptr/", v.service_ip_ptr, name="service_ip_ptr"),
    path("services/<int:pk>/ips/<int:address>/delete/", v.service_ip_delete, name="service_ip_delete"),
]
