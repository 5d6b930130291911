"""Client-area URLs of the lifecycle actions (names in the ``clientarea`` namespace)."""

from django.urls import URLPattern, path

from . import views_lifecycle as v

urlpatterns: list[URLPattern] = [
    path("services/<int:pk>/suspend/", v.service_suspend, name="service_suspend"),
    path("services/<int:pk>/resume/", v.service_resume, name="service_resume"),
    path("services/<int:pk>/reboot/", v.service_reboot, name="service_reboot"),
    path("services/<int:pk>/delete/", v.service_delete, name="service_delete"),
    path("services/<int:pk>/cancel-deletion/", v.service_cancel_deletion, name="service_cancel_deletion"),
    path("services/<int:pk>/certificate/<slug:part>/", v.service_certificate, name="service_certificate"),
]
