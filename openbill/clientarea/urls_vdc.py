"""Client-area URLs of virtual data centers (names in the ``clientarea`` namespace)."""

from django.urls import URLPattern, path

from . import views_vdc as v

urlpatterns: list[URLPattern] = [
    path("services/<int:pk>/machines/", v.service_machines, name="service_machines"),
    path("machines/<int:pk>/start/", v.machine_start, name="machine_start"),
    path("machines/<int:pk>/stop/", v.machine_stop, name="machine_stop"),
    path("machines/<int:pk>/reboot/", v.machine_reboot, name="machine_reboot"),
    path("machines/<int:pk>/delete/", v.machine_delete, name="machine_delete"),
    path("machines/<int:pk>/status/", v.machine_status, name="machine_status"),
]
