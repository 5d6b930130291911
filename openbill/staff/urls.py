"""/staff/: the provider's pages beyond Django admin.

Every app may add pages in ``openbill/<app>/staff_urls.py`` (a module-level ``urlpatterns``
list); they are collected here, in the ``staff`` namespace, the way /api/v1/ collects each app's
``api/urls.py``. Staff views protect themselves (``staff_member_required``). A module may also
define ``STAFF_MENU = [(url_name, label), ...]`` (names without the ``staff:`` prefix, URLs
without arguments) to be listed on the /staff/ index page.
"""

from django.urls import URLPattern, URLResolver, path

from openbill.core.extensions import optional_module

from . import twofactor, views

app_name = "staff"

APPS_WITH_STAFF_PAGES = (
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
    "invoicing",
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("2fa/", twofactor.two_factor, name="two_factor"),
]

for _app in APPS_WITH_STAFF_PAGES:
    _module = optional_module(f"openbill.{_app}.staff_urls")
    if _module is None:
        continue
    urlpatterns += _module.urlpatterns
    views.MENU.extend(getattr(_module, "STAFF_MENU", ()))
