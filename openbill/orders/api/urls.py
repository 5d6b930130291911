"""Routes of the orders API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="api-order")

urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/quote/", views.QuoteView.as_view(), name="api-order-quote"),
    *router.urls,
    path("cart/", views.CartView.as_view(), name="api-cart"),
    path("cart/empty/", views.CartEmptyView.as_view(), name="api-cart-empty"),
    path("cart/checkout/", views.CheckoutView.as_view(), name="api-cart-checkout"),
    path("cart/<int:pk>/", views.CartLineView.as_view(), name="api-cart-line"),
    path("services/<int:pk>/renew/", views.RenewView.as_view(), name="api-service-renew"),
    path("services/<int:pk>/renew/quote/", views.RenewQuoteView.as_view(), name="api-service-renew-quote"),
    path("services/<int:pk>/change/", views.ChangeView.as_view(), name="api-service-change"),
    path("services/<int:pk>/change/quote/", views.ChangeQuoteView.as_view(), name="api-service-change-quote"),
    path("services/<int:pk>/configure/", views.ConfigureView.as_view(), name="api-service-configure"),
    path("services/<int:pk>/instructions/", views.InstructionsView.as_view(), name="api-service-instructions"),
]
