"""Django app configuration of orders."""

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "openbill.orders"
    label = "orders"
