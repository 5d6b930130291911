"""Client-area URLs of support (names in the ``clientarea`` namespace)."""

from django.urls import URLPattern, path

from . import views_support

urlpatterns: list[URLPattern] = [
    path("support/", views_support.ticket_list, name="support"),
    path("support/new/", views_support.ticket_new, name="support_new"),
    path("support/<int:pk>/", views_support.ticket_detail, name="support_ticket"),
    path("support/<int:pk>/close/", views_support.ticket_close, name="support_close"),
    path("support/attachments/<int:pk>/", views_support.attachment, name="support_attachment"),
]
