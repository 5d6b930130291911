"""/pay/: Stripe's webhook, the test card gateway's callback (Openbill's side) and the stand-in provider's checkout page."""

from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("card/notify/", views.card_notify, name="card_notify"),
    path("card/checkout/<str:token>/", views.card_checkout, name="card_checkout"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("paypal/webhook/", views.paypal_webhook, name="paypal_webhook"),
    path("paypal/return/<uuid:reference>/", views.paypal_return, name="paypal_return"),
]
