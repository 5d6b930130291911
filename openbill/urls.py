"""The site's URLs: Django admin, language switching, the API, staff pages, payment callbacks and
the client area."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("openbill.api.urls")),
    path("staff/", include("openbill.staff.urls")),
    path("pay/", include("openbill.payments.urls")),
    path("", include("openbill.clientarea.urls")),
]
