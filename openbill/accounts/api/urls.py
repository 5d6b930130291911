"""Routes of the accounts API under /api/v1/."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .views import AccountUserListView, ApiTokenViewSet, LanguageView, LogOutOtherSessionsView, MeView, PasswordView

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")

urlpatterns: list[URLPattern | URLResolver] = [
    path("me/", MeView.as_view(), name="api-me"),
    path("account/language/", LanguageView.as_view(), name="api-account-language"),
    path("account/password/", PasswordView.as_view(), name="api-account-password"),
    path("account/log-out-other-sessions/", LogOutOtherSessionsView.as_view(), name="api-account-log-out-others"),
    path("account/users/", AccountUserListView.as_view(), name="api-account-users"),
    *router.urls,
]
