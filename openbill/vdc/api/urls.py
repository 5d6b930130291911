"""Routes of the virtual data centers API under /api/v1/."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("services/<int:service_pk>/machines/", views.MachineListView.as_view(), name="api-machines"),
    path(
        "services/<int:service_pk>/machines/templates/",
        views.MachineTemplateListView.as_view(),
        name="api-machine-templates",
    ),
    path("services/<int:service_pk>/machines/pool/", views.PoolView.as_view(), name="api-machine-pool"),
    path("services/<int:service_pk>/machines/<int:pk>/", views.MachineDetailView.as_view(), name="api-machine"),
    path(
        "services/<int:service_pk>/machines/<int:pk>/start/", views.MachineStartView.as_view(), name="api-machine-start"
    ),
    path("services/<int:service_pk>/machines/<int:pk>/stop/", views.MachineStopView.as_view(), name="api-machine-stop"),
    path(
        "services/<int:service_pk>/machines/<int:pk>/reboot/",
        views.MachineRebootView.as_view(),
        name="api-machine-reboot",
    ),
]
