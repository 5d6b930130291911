"""The client area's URLs: its own, plus each feature's ``clientarea/urls_<feature>.py``."""

from importlib import import_module

from django.urls import path

app_name = "clientarea"

urlpatterns: list = []

# Features built beside the base (orders, lifecycle actions, metering) keep their own URL files.
for _feature in ("orders", "lifecycle", "metering", "support"):
    try:
        _module = import_module(f"openbill.clientarea.urls_{_feature}")
    except ModuleNotFoundError as exc:
        if exc.name != f"openbill.clientarea.urls_{_feature}":
            raise
        continue
    urlpatterns += _module.urlpatterns

_ = path
