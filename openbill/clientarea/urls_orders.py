"""Ordering, cart, Orders, extend/edit/configure a service, instruction manual, top-up, payments."""

from django.urls import URLPattern, URLResolver, path

from . import views_cards as vc
from . import views_edit, views_finances
from . import views_orders as v

urlpatterns: list[URLPattern | URLResolver] = [
    path("order/", v.catalog, name="order_catalog"),
    path("order/<int:tariff_id>/", v.order_new, name="order_new"),
    path("cart/", v.cart, name="cart"),
    path("cart/checkout/", v.cart_checkout, name="cart_checkout"),
    path("cart/empty/", v.cart_empty, name="cart_empty"),
    path("cart/<int:pk>/remove/", v.cart_remove, name="cart_remove"),
    path("orders/", v.orders, name="orders"),
    path("orders/<int:pk>/pay/", v.order_pay, name="order_pay"),
    path("services/<int:pk>/instructions/", v.service_instructions, name="service_instructions"),
    path("services/<int:pk>/extend/", views_edit.service_extend, name="service_extend"),
    path("services/<int:pk>/edit/", views_edit.service_edit, name="service_edit"),
    path("services/<int:pk>/configure/", views_edit.service_configure, name="service_configure"),
    path("finances/topup/", views_finances.topup, name="topup"),
    path("finances/payments/", views_finances.payment_list, name="payments"),
    path("finances/payments/<int:pk>/", views_finances.payment_detail, name="payment"),
    path("finances/payments/<int:pk>/card/", vc.payment_card, name="payment_card"),
    path("finances/payment-methods/", vc.payment_methods, name="payment_methods"),
    path("finances/payment-methods/<int:pk>/default/", vc.payment_method_default, name="payment_method_default"),
    path("finances/payment-methods/<int:pk>/remove/", vc.payment_method_remove, name="payment_method_remove"),
]
