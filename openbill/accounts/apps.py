"""Django app configuration of accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openbill.accounts"
    label = "accounts"

    def ready(self) -> None:
        # The handlers' module imports the models, importable only once the apps are loaded.
        from django.contrib.auth.signals import user_logged_in

        from .sessions import notice_new_address, start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="openbill.accounts.start_idle_clock")
        user_logged_in.connect(notice_new_address, dispatch_uid="openbill.accounts.notice_new_address")
