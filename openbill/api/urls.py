"""/api/v1/: the schema, the docs, and every app's ``<app>/api/urls.py``."""

from importlib import import_module

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

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
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

for _app in APPS_WITH_API:
    try:
        import_module(f"openbill.{_app}.api.urls")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"openbill.{_app}.api", f"openbill.{_app}.api.urls"):
            raise
        continue
    urlpatterns.append(path("", include(f"openbill.{_app}.api.urls")))
