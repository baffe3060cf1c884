"""CFT Tracker settings: one file, read from the environment (12-factor).

With no variable set the app runs on this machine with no server: SQLite for the database and kombu's
SQLAlchemy transport on a SQLite file for the Celery broker. Production sets DATABASE_URL=postgres://...
and CELERY_BROKER_URL=redis://... . Every variable is documented in README.md and .env.example.
"""

import datetime as dt
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from cft.brokers import broker_transport_options
from cft.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CFT_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set SECRET_KEY, or DEBUG=1 locally)")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if not DEBUG else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The base of every emailed link. `make run` sets it from PORT (the Makefile is the one place that derives it),
# so `PORT=8080 make run` mails links to 8080; behind a proxy set it to the public address.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "clinics.admin_site.CftAdminConfig",  # django.contrib.admin with the caseload as home
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "clinics",
    "audit",
    "programs",
    "patients",
    "outbox",
    "reminders",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "audit.middleware.ClientAddressMiddleware",  # every audit event written during a request carries its address
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cft.middleware.NoStoreMiddleware",  # every answer but a static file: Cache-Control: no-store
    "cft.middleware.SlidingSessionMiddleware",  # Django's, with the session age an inactivity timeout
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinics.two_factor.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username/address before checking it
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "cft.urls"
WSGI_APPLICATION = "cft.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    schemes={"sqlite", "postgres", "postgresql", "pgsql"},
)
try:
    # A kept connection is checked (SELECT 1) before a request reuses it: one the database ended while it was idle
    # (a restart, a failover, pg_terminate_backend) is replaced instead of failing that request with a 503.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A few concurrent writers (web + worker + beat) share the file; wait instead of failing at once.
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not memory, so the real worker and web processes the integration tests start share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the caseload's page query (50 rows of correlated subqueries) is estimated above jit_above_cost and
    # then spends 1.5 s compiling for 40 ms of work (bench.admin); short OLTP queries never win it back.
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "options": "-c jit=off"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "clinics.api_tokens.RevokeTokensOnPasswordChange"},  # validates nothing: revokes API tokens on change
]

LANGUAGE_CODE = "en-gb"
# The languages of the patient's pages and emails (`Patient.language`); staff pages stay in English.
LANGUAGES = [("en-gb", "English"), ("nb", "Norsk bokmål")]
FORMAT_MODULE_PATH = ["cft.formats"]  # dates on staff pages as 2026-12-02 09:30 (cft/formats/en/formats.py)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"

LOGIN_URL = "admin:login"

# --- Security (secure by default; DEBUG relaxes only what local HTTP needs) ---------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
# How many proxies in front of the app append to X-Forwarded-For (audit.services.client_ip): 1 behind the usual
# TLS-terminating proxy, 0 when clients connect directly (the header is then ignored, as clients can forge it).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if SECURE_PROXY_SSL_HEADER else 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
# The age above is an inactivity timeout: a request pushes the expiry on once this many seconds have passed since the
# session was last written (cft.middleware.SlidingSessionMiddleware), so it ends 29 to 30 minutes after its last use.
SESSION_ENGINE = "cft.sessions"
SESSION_REFRESH_AFTER = 60
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy (Django 6's built-in): no inline scripts or styles, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Lockout after repeated failed logins (django-axes): per username and address, for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"  # the same address the audit log records
OTP_TOTP_ISSUER = "CFT Tracker"
# The admin never shows a TOTP secret or its QR code (staff enrol at /account/two-factor/); django-otp's admin
# config views otherwise answer 500 for an unknown id and 403 for a known one.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024)

# --- Email ----------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    # In development emails land as files in var/mail (not in the console log: they can name patients).
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CFT Tracker <no-reply@localhost>")

# --- Celery ---------------------------------------------------------------------------------------------
# Every scheme Celery documents for these transports (sqla+ and sqlalchemy+ are the same SQLAlchemy transport).
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    f"sqlalchemy+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}",
    schemes={"sqla", "sqlalchemy", "redis", "rediss", "amqp", "pyamqp", "memory"},
)
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    CELERY_BROKER_URL, visibility_timeout=env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
)
# A task queued through the outbox and not confirmed by the worker this long after it was published (its message
# lost with the broker's queue, or its worker killed) is published again by the drain; one that keeps raising is
# given up after OUTBOX_MAX_FAILURES runs (outbox/services.py).
OUTBOX_REDELIVER_AFTER_SECONDS = env_int("OUTBOX_REDELIVER_AFTER_SECONDS", 300)
OUTBOX_MAX_FAILURES = env_int("OUTBOX_MAX_FAILURES", 5)

# --- REST framework -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "clinics.two_factor.TwoFactorSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: every body the API takes (nested answers like `odi[3]`) is JSON, and the schema says so.
    "DEFAULT_PARSER_CLASSES": ["cft.api.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["cft.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "EXCEPTION_HANDLER": "cft.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "600/minute"),
    },
}
# Staff API tokens (django-rest-knox, clinics/api_tokens.py): hashed, and they end.
STAFF_TOKEN_TTL_HOURS = env_int("STAFF_TOKEN_TTL_HOURS", 10)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=STAFF_TOKEN_TTL_HOURS),
    "TOKEN_PREFIX": "st_",  # staff; patient tokens start pt_
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CFT Tracker API",
    "DESCRIPTION": "Weekly check-ins, outcomes and programs for Cognitive Functional Therapy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: the docs work offline and under the strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "cft.api.document_error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "AlertKindEnum": "patients.models.Alert.Kind",
        "ProgramKindEnum": "programs.models.Program.Kind",
    },
}

# --- Cache ----------------------------------------------------------------------------------------------
# DRF's throttles (the 10-a-minute sign-in limit, the API rates) count in the cache, so it must be one every web
# process and host shares; Django's default, local memory, counts per process. CACHE_URL chooses it: redis:// or
# rediss:// for Redis, db:// for a table in the database (`cft_cache`, made by `migrate`: audit/migrations/0002).
# Unset, it is the broker's Redis when the broker is Redis (the cache's clear() then deletes only its own keys,
# never the queue: cft/cache.py), else the database. Keys start with CACHE_KEY_PREFIX (the tests use one per run).
CACHE_URL = env_url(
    "CACHE_URL",
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "db://",
    schemes={"redis", "rediss", "db"},
)
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "cft")
CACHE_TABLE = "cft_cache"
CACHES = {
    "default": {
        "BACKEND": "cft.cache.PrefixedRedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # A host that does not answer costs a request a second, not a hang (cft/cache.py: limits then suspended).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if CACHE_URL.startswith("redis")
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        # Past this many rows Django deletes a third of them, live counts included: far above one clinic's traffic.
        "OPTIONS": {"MAX_ENTRIES": 10000},
    }
}

# --- App ------------------------------------------------------------------------------------------------
MAGIC_LINK_MAX_AGE_DAYS = env_int("MAGIC_LINK_MAX_AGE_DAYS", 7)
PATIENT_TOKEN_MAX_AGE_HOURS = env_int("PATIENT_TOKEN_MAX_AGE_HOURS", 12)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-password")
# Reports: the key of the research pseudonyms (HMAC-SHA256). Changing it changes every pseudonym, so keep it
# stable and secret; it is separate from SECRET_KEY so rotating that never re-keys research data.
REPORTS_PSEUDONYM_KEY = env_str("REPORTS_PSEUDONYM_KEY")
if not REPORTS_PSEUDONYM_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("REPORTS_PSEUDONYM_KEY must be set when DEBUG is off (a long random string)")
    REPORTS_PSEUDONYM_KEY = "insecure-development-pseudonym-key-only-used-with-DEBUG-on"  # noqa: S105
REPORTS_EXPORT_DIR = Path(env_str("REPORTS_EXPORT_DIR", str(VAR_DIR / "exports")))  # private: never served
REPORTS_EXPORT_KEEP_HOURS = env_int("REPORTS_EXPORT_KEEP_HOURS", 24)
# Reminders (docs/reminders.md): a weekly reminder goes out within this many minutes after its local due time.
REMINDER_WINDOW_MINUTES = env_int("REMINDER_WINDOW_MINUTES", 60)
REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 200)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 5)
REMINDER_RETRY_BACKOFF_SECONDS = env_int("REMINDER_RETRY_BACKOFF_SECONDS", 60)
REMINDER_RETRY_BACKOFF_MAX_SECONDS = env_int("REMINDER_RETRY_BACKOFF_MAX_SECONDS", 1800)
REMINDER_DIGEST_HOUR = env_int("REMINDER_DIGEST_HOUR", 7)  # local hour (TIME_ZONE) of the therapists' digest

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "one_line_client_errors": {"()": "cft.logs.OneLineClientErrors"},
        "redact_link_tokens": {"()": "cft.logs.RedactLinkTokens"},
    },
    # Request logs name the path, and a patient link's path holds its token: the one handler redacts every record
    # of every logger (cft/logs.py). Django's own handlers for "django" (a console when DEBUG is on, mail_admins)
    # would write past it, so its loggers have none and propagate here.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["one_line_client_errors", "redact_link_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},  # runserver's access lines
    },
}
