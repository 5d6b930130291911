"""Staff pages of provisioning, collected by openbill/staff/urls.py."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import staff_views as v

urlpatterns: list[URLPattern] = [
    path("provisioning/queue/", v.queue, name="provisioning_queue"),
    path("provisioning/tasks/<int:pk>/<slug:verb>/", v.task_action, name="provisioning_task_action"),
    path("provisioning/not-available/", v.not_available, name="provisioning_not_available"),
    path("provisioning/not-available/<int:pk>/activate/", v.activate_now, name="provisioning_activate_now"),
    path("provisioning/capacity/", v.capacity_page, name="provisioning_capacity"),
    path("provisioning/services/<int:pk>/", v.service_page, name="provisioning_service"),
]

STAFF_MENU = [
    ("provisioning_queue", _("Operations waiting for staff")),
    ("provisioning_not_available", _("Services waiting for capacity (Not available)")),
    ("provisioning_capacity", _("Capacity of module instances")),
]
