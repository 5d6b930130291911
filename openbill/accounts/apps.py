from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openbill.accounts"
    label = "accounts"
