"""/api/v1/: the schema, the docs, and every app's ``<app>/api/urls.py``."""

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, URLPattern, URLResolver, include, path, re_path, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from openbill.core.extensions import optional_module

APPS_WITH_API = (
    "accounts",
    "clients",
    "catalog",
    "billing",
    "services",
    "provisioning",
    "orders",
    "payments",
    "metering",
    "support",
    "ipam",
    "vdc",
    "domains",
    "invoicing",
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script from a URL (no inline script: Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

for _app in APPS_WITH_API:
    if optional_module(f"openbill.{_app}.api.urls") is None:
        continue
    urlpatterns.append(path("", include(f"openbill.{_app}.api.urls")))


@csrf_exempt  # it changes nothing; a POST to a mistyped URL deserves a 404, not a CSRF page
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under /api/v1/ is a JSON 404, like every other API error (not Django's HTML
    page). This catch-all also stops APPEND_SLASH's redirect, so a missing final slash is named."""
    detail = _("Not found.")
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            detail = _("Not found. API URLs end with a slash: %(path)s") % {"path": request.path + "/"}
    return JsonResponse({"detail": detail, "code": "not_found"}, status=404)


# [\s\S], not ".": a path with an (encoded) newline must reach it too, not Django's HTML 404.
urlpatterns.append(re_path(r"^(?P<rest>[\s\S]*)$", not_found))
