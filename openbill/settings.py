"""Openbill settings, read from the environment.

Everything a deployment changes is an environment variable (see README "Configuration").
The embedded default is a SQLite file under ``var/``; ``DATABASE_URL`` selects PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPENBILL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/secret_key."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        # O_EXCL: two processes starting at once must agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin: the catalog's texts per language (catalog/translation.py)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "openbill.core",
    "openbill.accounts",
    "openbill.clients",
    "openbill.catalog",
    "openbill.billing",
    "openbill.services",
    "openbill.provisioning",
    "openbill.orders",
    "openbill.payments",
    "openbill.metering",
    "openbill.support",
    "openbill.ipam",
    "openbill.vdc",
    "openbill.domains",
    "openbill.invoicing",
    "openbill.clientarea",
    "openbill.staff",
    "openbill.api",
]

MIDDLEWARE = [
    "openbill.core.request_id.RequestIdMiddleware",
    "openbill.api.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "openbill.core.middleware.OutOfRangeIdMiddleware",
    "openbill.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "openbill.core.replica.ReplicaPinMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "openbill.core.middleware.NoStoreWhenAuthenticatedMiddleware",
    "openbill.accounts.sessions.IdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openbill.accounts.twofactor.TwoFactorMiddleware",
    "openbill.accounts.middleware.ClientMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openbill.urls"
WSGI_APPLICATION = "openbill.wsgi.application"

# Loaded in every template: money and dates are formatted one way everywhere
# ({{ amount|money:currency }}, {{ when|moment }}, {{ day|day }}, {{ month|month }}).
TEMPLATE_BUILTINS = ["openbill.core.templatetags.money", "openbill.core.templatetags.dates"]

TEMPLATES = [
    {
        # Django's backend, letting a rendered page's context go at once (core/templates.py).
        "NAME": "django",
        "BACKEND": "openbill.core.templates.DjangoTemplates",
        "DIRS": [BASE_DIR / "openbill" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "openbill.accounts.context_processors.client",
            ],
            "builtins": TEMPLATE_BUILTINS,
        },
    },
    {
        # Plain-text mail (subjects and bodies): rendered without HTML escaping, so "Bob's server"
        # stays as typed. Used as render_to_string(..., using="text"); HTML stays on the first.
        "NAME": "text",
        "BACKEND": "openbill.core.templates.DjangoTemplates",
        "DIRS": [BASE_DIR / "openbill" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "builtins": TEMPLATE_BUILTINS},
    },
]

# --- database ---------------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("OPENBILL_SQLITE", VAR_DIR / "openbill.sqlite3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            # Web and worker share one file: WAL lets readers run beside the writer, IMMEDIATE
            # transactions make writers queue on the busy timeout instead of failing.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000; PRAGMA synchronous=NORMAL"),
            },
        }
    }
# A streaming replica for the read-only pages that opt in (openbill.core.replica): optional.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    # An unreachable replica must fail fast: the pages then read the primary (core.replica).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
# Django's PostgreSQL backend with timestamps read by psycopg's C loader (core/postgresql/base.py).
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "openbill.core.postgresql"
OPENBILL_READ_REPLICA = "replica" in DATABASES
OPENBILL_REPLICA_PIN_SECONDS = int(os.environ.get("OPENBILL_REPLICA_PIN_SECONDS", "5"))
# While the replica's replay is further behind than this, the pages read the primary.
OPENBILL_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("OPENBILL_REPLICA_MAX_LAG_SECONDS", "10"))
DATABASE_ROUTERS = ["openbill.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ------------------------------------------------------------------------------------
# Shared by every process and machine: the login, token and link limits count attempts here
# (accounts.limits). The database cache by default (its table is made by `migrate`); Redis when
# OPENBILL_CACHE_URL (or REDIS_URL) is set, e.g. redis://127.0.0.1:6379/0.
CACHE_URL = os.environ.get("OPENBILL_CACHE_URL") or os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "openbill_cache",
            # Django's default (300) would cull live attempt counters under load; expired rows
            # are deleted when a write finds the table over this size.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading a session's user with its client account in one query.
    "openbill.accounts.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "clientarea:login"
LOGIN_REDIRECT_URL = "clientarea:dashboard"
LOGOUT_REDIRECT_URL = "clientarea:login"

AXES_FAILURE_LIMIT = int(os.environ.get("OPENBILL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
# Locked when one address fails too often (whatever the emails) or one email fails too often
# from one address; a per-account limit across addresses is in LoginView (accounts.limits).
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "clientarea/locked_out.html"
AXES_ENABLED = env_bool("OPENBILL_AXES", True)
# The same client address as every other limit (REMOTE_ADDR, or what OPENBILL_NUM_PROXIES trusted
# proxies report), not axes' own guess.
AXES_CLIENT_IP_CALLABLE = "openbill.accounts.api.throttling.client_address"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12  # absolute timeout
# Database sessions that also keep their user, address, browser and last-seen time, so the
# Profile lists a user's sessions and can log out one of them (accounts.UserSession).
SESSION_ENGINE = "openbill.accounts.session_store"
# Idle timeout: a session unused this long is logged out (accounts.sessions.IdleTimeoutMiddleware).
OPENBILL_SESSION_IDLE_SECONDS = int(os.environ.get("OPENBILL_SESSION_IDLE_SECONDS", str(30 * 60)))
# Cookies travel over HTTPS only, unless DEBUG or OPENBILL_INSECURE_COOKIES=1 (`openbill run` sets
# it for its plain-http server on 127.0.0.1).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not env_bool("OPENBILL_INSECURE_COOKIES"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
if env_bool("SECURE_PROXY_SSL_HEADER"):  # behind a TLS-terminating proxy that sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Staff must log in with a TOTP code (admin, /staff/, the staff API).
OPENBILL_STAFF_2FA = env_bool("OPENBILL_STAFF_2FA", True)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Openbill")
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Script and style only from this site, no inline script, no plugins, no framing (core/csp.py).
# data: images are Bootstrap's and Swagger UI's icons, embedded in their CSS.
OPENBILL_CONTENT_SECURITY_POLICY = os.environ.get(
    "OPENBILL_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
)

# The largest request body (bytes) accepted: a larger one is a 413 (the API says the limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("OPENBILL_MAX_BODY_BYTES", str(5 * 1024 * 1024)))

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "openbill" / "locale"]
USE_I18N = True
# The catalog's client-facing texts have a value per language (catalog/translation.py); an empty
# one falls back to the default language's, then to any other.
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_LANGUAGES = tuple(code for code, _name in LANGUAGES)
MODELTRANSLATION_FALLBACK_LANGUAGES = MODELTRANSLATION_LANGUAGES
TIME_ZONE = "UTC"
USE_TZ = True

# --- static -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (support attachments): stored under random names, served only through views
# that check who asks (never by the web server from this folder).
MEDIA_ROOT = Path(os.environ.get("OPENBILL_MEDIA_DIR", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"

# Support: attachments per message and their size; days before an Answered ticket without a
# client reply is closed.
OPENBILL_SUPPORT_MAX_FILES = int(os.environ.get("OPENBILL_SUPPORT_MAX_FILES", "5"))
OPENBILL_SUPPORT_MAX_FILE_BYTES = int(os.environ.get("OPENBILL_SUPPORT_MAX_FILE_BYTES", str(10 * 1024 * 1024)))
OPENBILL_SUPPORT_AUTOCLOSE_DAYS = int(os.environ.get("OPENBILL_SUPPORT_AUTOCLOSE_DAYS", "7"))
# A multipart body (files stream to disk) may be larger than other bodies: all of a message's
# attachments plus its text.
OPENBILL_MAX_UPLOAD_BYTES = int(
    os.environ.get(
        "OPENBILL_MAX_UPLOAD_BYTES",
        str(OPENBILL_SUPPORT_MAX_FILES * OPENBILL_SUPPORT_MAX_FILE_BYTES + 1024 * 1024),
    )
)
# Days a deleted service stays visible to its client (read-only, with its History).
OPENBILL_DELETED_VISIBLE_DAYS = int(os.environ.get("OPENBILL_DELETED_VISIBLE_DAYS", "30"))
# Days a released IP address waits before it is given to another service.
OPENBILL_IP_QUARANTINE_DAYS = int(os.environ.get("OPENBILL_IP_QUARANTINE_DAYS", "7"))
# The EU's VIES REST interface (invoicing.vies); tests point it at a local server.
OPENBILL_VIES_URL = os.environ.get("OPENBILL_VIES_URL", "https://ec.europa.eu/taxation_customs/vies/rest-api")
STATICFILES_DIRS = [BASE_DIR / "openbill" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("OPENBILL_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

# --- email ------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@openbill.localhost")

# --- tasks ------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": os.environ.get("OPENBILL_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}
# Finished task rows (results, tracebacks) older than this many days are deleted (core.sweeps).
OPENBILL_TASK_RESULT_DAYS = int(os.environ.get("OPENBILL_TASK_RESULT_DAYS", "14"))

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "openbill.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["openbill.api.permissions.IsUser"],
    "DEFAULT_SCHEMA_CLASS": "openbill.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["openbill.api.filters.ClientFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "openbill.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "openbill.api.exceptions.exception_handler",
    # Refuse over-deep JSON and text that cannot be stored (NUL, lone surrogates) as a 400.
    "DEFAULT_PARSER_CLASSES": [
        "openbill.api.parsers.JSONParser",
        "openbill.api.parsers.FormParser",
        "openbill.api.parsers.MultiPartParser",
    ],
    # The client address the limits count by: REMOTE_ADDR, unless OPENBILL_NUM_PROXIES trusted
    # proxies in front add X-Forwarded-For (DRF's default, None, would believe any client's header).
    "NUM_PROXIES": int(os.environ.get("OPENBILL_NUM_PROXIES", "0")),
    # Failures (or, for sign-up and reset requests, attempts) per address or per account; see
    # accounts/limits.py.
    "DEFAULT_THROTTLE_RATES": {
        "token_auth_failure": "20/min",
        "login_account_failure": "20/hour",
        "link_failure": "10/hour",
        "link_account_failure": "10/hour",
        "signup": "10/hour",
        "confirmation_resend": "3/hour",
        "password_reset": "10/hour",
        "password_reset_account": "3/hour",
        "otp_failure": "10/hour",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Openbill API",
    "DESCRIPTION": "Billing and service management for hosting providers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("kind", "status") get their own component names.
    "ENUM_NAME_OVERRIDES": {
        "ProductKindEnum": "openbill.catalog.models.ProductKind",
        "ParameterKindEnum": "openbill.catalog.models.ParameterKind",
        "LedgerEntryKindEnum": "openbill.billing.models.EntryKind",
        "ServiceStatusEnum": "openbill.services.choices.Status",
        "StatisticsPeriodEnum": "openbill.catalog.models.StatisticsPeriod",
        "ServiceEventKindEnum": "openbill.services.choices.EventKind",
        "ActorKindEnum": "openbill.core.actors.ActorKind",
        "OrderStatusEnum": "openbill.orders.models.OrderStatus",
        "OrderLineKindEnum": "openbill.orders.models.LineKind",
        "PaymentStatusEnum": "openbill.payments.models.PaymentStatus",
        "ChargeLineKindEnum": "openbill.orders.api.serializers.CHARGE_LINE_KINDS",
        # Keep the names these had before machines added fields of the same names.
        "OperationEnum": "openbill.services.choices.Operation",
        "StatusEnum": "openbill.support.models.TicketStatus",
        "MachineStatusEnum": "openbill.vdc.models.MachineStatus",
        "MachineOperationEnum": "openbill.vdc.models.MachineOperation",
    },
}

# --- Openbill ---------------------------------------------------------------------------------
# The site's public address: every link that leaves the site (emails, payment gateway return and
# callback URLs) starts with it, never with the request's Host header (core.urls.absolute_url).
OPENBILL_BASE_URL = os.environ.get("OPENBILL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not OPENBILL_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("OPENBILL_BASE_URL must start with http:// or https://")
OPENBILL_FIELD_KEY = os.environ.get("OPENBILL_FIELD_KEY", "")  # secrets at rest; derived if empty
OPENBILL_SIGNUP_PROVIDER = os.environ.get("OPENBILL_SIGNUP_PROVIDER", "")  # provider name new clients join
OPENBILL_CARD_SECRET = os.environ.get("OPENBILL_CARD_SECRET", "")  # card gateway HMAC secret
OPENBILL_CARD_NOTIFY_URL = os.environ.get("OPENBILL_CARD_NOTIFY_URL", "")  # callback URL given to the gateway
# The card method is a test gateway (no real card is charged): off unless enabled (demo, tests).
OPENBILL_CARD_TEST_MODE = env_bool("OPENBILL_CARD_TEST_MODE")
# Stripe (cards, saved cards, automatic renewal payments): on when STRIPE_SECRET_KEY is set, or
# per provider in the staff pages (which take precedence: payments.gateway_accounts).
# STRIPE_API_BASE and STRIPE_JS_URL point at a local stand-in (localstripe) in tests only.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # empty: Stripe's own https://api.stripe.com
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
# PayPal (Orders v2): on when the client id and secret are set (or per provider in the staff
# pages, which take precedence: payments.gateway_accounts). PAYPAL_LIVE=0 uses the sandbox;
# PAYPAL_API_BASE, when set, overrides the host (a stand-in in tests).
PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID", "")
PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET", "")
PAYPAL_WEBHOOK_ID = os.environ.get("PAYPAL_WEBHOOK_ID", "")
PAYPAL_LIVE = env_bool("PAYPAL_LIVE", True)
PAYPAL_API_BASE = os.environ.get("PAYPAL_API_BASE", "")
# The currencies each gateway configured by environment takes (comma separated ISO 4217 codes;
# empty: every currency it supports). Staff pages set them per provider (payments.gateway_accounts).
STRIPE_CURRENCIES = os.environ.get("STRIPE_CURRENCIES", "")
PAYPAL_CURRENCIES = os.environ.get("PAYPAL_CURRENCIES", "")
# Automatic payment at renewal: charge the default card for what the balance lacks ("missing")
# or for the whole renewal ("whole"), this many hours before the renewal is due.
OPENBILL_AUTOPAY_AMOUNT = os.environ.get("OPENBILL_AUTOPAY_AMOUNT", "missing")
OPENBILL_AUTOPAY_LEAD_HOURS = int(os.environ.get("OPENBILL_AUTOPAY_LEAD_HOURS", "24"))
# Minutes a card checkout may stay unfinished before its payment is marked failed (expired).
OPENBILL_CARD_CHECKOUT_MINUTES = int(os.environ.get("OPENBILL_CARD_CHECKOUT_MINUTES", "60"))
# How long an Idempotency-Key's request may run before a retry may take the key over (its
# server is taken to have died): longer than any request is served (gunicorn's 30 s timeout).
OPENBILL_IDEMPOTENCY_LEASE_SECONDS = int(os.environ.get("OPENBILL_IDEMPOTENCY_LEASE_SECONDS", "60"))
METERING_LATE_DAYS = int(os.environ.get("METERING_LATE_DAYS", "3"))  # days a closed usage period accepts late records

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "openbill.core.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
