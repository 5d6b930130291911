"""The client area's URLs: its own, plus each feature's ``clientarea/urls_<feature>.py``."""

from django.urls import URLPattern, URLResolver, path

from openbill.core.extensions import optional_module

from . import views, views_auth, views_security

app_name = "clientarea"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("services/", views.services, name="services"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/history/", views.service_history, name="service_history"),
    path("services/<int:pk>/status/", views.service_status, name="service_status"),
    path("finances/", views.finances, name="finances"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views_auth.PasswordChangeView.as_view(), name="password_change"),
    path("profile/sessions/logout/", views_auth.log_out_other_sessions, name="log_out_other_sessions"),
    path("profile/sessions/<str:session_id>/logout/", views_security.session_log_out, name="session_log_out"),
    path("profile/confirm/", views_security.reauth, name="reauth"),
    path("profile/2fa/enable/", views_security.two_factor_enable, name="two_factor_enable"),
    path("profile/2fa/disable/", views_security.two_factor_disable, name="two_factor_disable"),
    path("profile/2fa/recovery-codes/", views_security.recovery_codes, name="recovery_codes"),
    path("profile/login-notices/", views_security.login_notices, name="login_notices"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("language/", views_auth.set_language, name="set_language"),
    path("login/", views_auth.LoginView.as_view(), name="login"),
    path("login/code/", views_auth.login_code, name="login_code"),
    path("logout/", views_auth.LogoutView.as_view(), name="logout"),
    path("signup/", views_auth.signup_view, name="signup"),
    path("signup/done/", views_auth.signup_done, name="signup_done"),
    path("signup/confirm/<uidb64>/<token>/", views_auth.signup_confirm, name="signup_confirm"),
    path("signup/resend/", views_auth.resend_confirmation, name="signup_resend"),
    path("password-reset/", views_auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views_auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views_auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views_auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

# Features built beside the base (orders, lifecycle actions, metering) keep their own URL files.
for _feature in ("orders", "lifecycle", "metering", "support", "ipam", "vdc", "domains", "invoicing"):
    _module = optional_module(f"openbill.clientarea.urls_{_feature}")
    if _module is None:
        continue
    urlpatterns += _module.urlpatterns
