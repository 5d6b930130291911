"""Staff pages of support, collected by openbill/staff/urls.py."""

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from . import staff_views as v

urlpatterns: list[URLPattern] = [
    path("support/", v.queue, name="support_queue"),
    path("support/<int:pk>/", v.ticket, name="support_ticket"),
    path("support/attachments/<int:pk>/", v.attachment, name="support_attachment"),
    path("support/abuse/", v.abuse_list, name="support_abuse"),
    path("support/abuse/<int:pk>/resolve/", v.abuse_resolve, name="support_abuse_resolve"),
]

STAFF_MENU = [
    ("support_queue", _("Support tickets")),
    ("support_abuse", _("Abuse reports")),
]
