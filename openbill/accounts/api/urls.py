from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .views import ApiTokenViewSet, MeView

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
