"""Settings for the Subnational Diplomacy Portal, read from environment variables.

Defaults are production's (DJANGO_DEBUG off); `make run`, `make test` and the development
services' var/services.env turn debug on. Every variable read here is documented in README.md
("Configuration").
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from diplomacy.devservices import read_services_env
from lib import bilingual

BASE_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = BASE_DIR / "node_modules"

# URLs of the embedded services started by `make` fill in for variables that are not set.
_EMBEDDED = read_services_env()


def env(name: str, default: str = "") -> str:
    return os.environ.get(name) or _EMBEDDED.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Production unless told otherwise: a forgotten DJANGO_DEBUG must not mean debug pages and no
# two-factor. `make run`, `make test` (and the test suite itself) and the development machine's
# var/services.env (written by `make services` with its embedded database) turn it on.
DEBUG = env_bool("DJANGO_DEBUG", False)

# No built-in key: production sets one; in development `make services` generated one into
# var/services.env, which only counts in debug (a leftover file never signs production data);
# `make run` passes it on explicitly.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (DEBUG and _EMBEDDED.get("DJANGO_SECRET_KEY"))
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY (a long random string); in development, "
        "`make services` writes one to var/services.env."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin: translated content (opportunities/translation.py, cities/translation.py).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "template_partials",
    "csp",
    "simple_history",
    # Open data: the read-only JSON API, its OpenAPI schema and docs, CORS.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    # Every outgoing email is a row first (lib/outbox/): sent by the worker, never lost.
    "lib.outbox",
    "diplomacy",
    "cities",
    "opportunities",
]

# Requests a web process serves before its long-lived objects are frozen out of the garbage
# collector's full passes (diplomacy/gc_freeze.py); 0 never.
GC_FREEZE_AFTER = int(env("GC_FREEZE_AFTER", "200"))

MIDDLEWARE = [
    # Counts the requests a process has served and, after GC_FREEZE_AFTER, moves what it holds
    # out of the garbage collector's full passes (diplomacy/gc_freeze.py).
    "diplomacy.gc_freeze.FreezeAfterWarmUp",
    # First, so that every response has the header: redirects, static files, errors.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL byte or bytes that are not UTF-8 in the path, parameters, form or headers read are
    # a 400 before any static file lookup, session or view sees them (diplomacy/bad_input.py).
    "diplomacy.bad_input.BadInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous GETs of public pages from Redis (lib/page_cache.py), stored compressed: outside
    # every middleware that adds headers to a page, so that a hit skips them all.
    "lib.page_cache.PageCacheMiddleware",
    # Brotli or gzip, except responses holding a secret (lib/compression.py, BREACH).
    "lib.compression.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # CORS headers must be added before CommonMiddleware answers (redirects, 404s).
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before the code page's redirect, so an ended session is sent to sign in, not asked for a
    # code (staff sessions end after a working day and after a while idle).
    "diplomacy.staff_sessions.StaffSessionMiddleware",
    "diplomacy.two_factor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Low in the list, so its process_exception runs first: PostgreSQL, Redis or the task
    # queue unreachable → the 503 page (errors raised in other middleware: handler500).
    "diplomacy.unavailable.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "diplomacy.urls"
WSGI_APPLICATION = "diplomacy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "diplomacy.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL only.
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set and no embedded database is running: "
        "run `make services` (or set DATABASE_URL=postgres://user@host:5432/name)."
    )
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A pooled connection is checked before each request reuses it (conn_health_checks), so one
# that a PostgreSQL restart broke is replaced, not used; and connecting gives up quickly, so
# that while the database is away requests get the 503 page (diplomacy/unavailable.py) in
# seconds rather than hang.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", int(env("DATABASE_CONNECT_TIMEOUT", "3"))
)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: the Celery broker and the cache.
REDIS_URL = env("REDIS_URL")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set and no embedded Redis is running: "
        "run `make services` (or set REDIS_URL=redis://host:6379/0)."
    )
# Redis being down is a cache miss, with short timeouts (lib/cache.py), never an error page.
CACHES = {
    "default": {
        "BACKEND": "lib.cache.ForgivingRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "diplomacy",
        "TIMEOUT": 300,
    },
    # Rendered result cards (opportunities/cards.py), in each process's memory: their keys
    # name their content, so nothing needs forgetting and no worker needs to share them.
    "cards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "cards",
        "TIMEOUT": 24 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": int(env("CARD_CACHE_ENTRIES", "5000"))},
    },
    # Whole pages (lib/page_cache.py): the same Redis with short socket timeouts, so that a
    # slow or absent Redis costs a request at most half a second and is then a cache miss (one
    # client per connection pool, not one per call: lib/cache.py).
    "pages": {
        "BACKEND": "lib.cache.OneClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "diplomacy-pages",
        "TIMEOUT": 300,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}
# The page cache: which views' pages are kept (URL names), for how long at most (the content
# version makes changes visible at once; this is a ceiling), and how long a CDN may keep them.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE_ENABLED", True)
PAGE_CACHE_ALIAS = "pages"
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "300"))
PAGE_CACHE_SHARED_SECONDS = int(env("PAGE_CACHE_SHARED_SECONDS", "60"))
PAGE_CACHE_PLACE_COOKIE = "place"
PAGE_CACHE_VIEWS = {
    "home",
    "about",
    "open_data",
    "programs",
    "events",
    "events_ics",
    "place_finder",
    "opportunities:search",
    "opportunities:feed_rss",
    "opportunities:feed_atom",
    "opportunities:detail",
    "opportunities:ics",
    "opportunities:search_ics",
    "cities:map",
    "cities:state",
    "cities:place",
    "solutions:list",
    "solutions:detail",
}

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Celery beat (one instance): what runs when. Tasks take IDs and are safe to run twice.
# The hour (UTC) at which beat starts each digest period's run (below).
DIGEST_HOUR = int(env("DIGEST_HOUR", "11"))
CELERY_BEAT_SCHEDULE = {
    "publish-scheduled-listings": {
        "task": "opportunities.tasks.publish_scheduled_listings",
        "schedule": 60.0,
    },
    "archive-expired-listings": {
        "task": "opportunities.tasks.archive_expired_listings",
        "schedule": 15 * 60.0,
    },
    # Expected deadlines that passed unconfirmed, to staff who publish: Mondays.
    "send-expected-deadline-report": {
        "task": "opportunities.tasks.send_expected_deadline_report",
        "schedule": crontab(hour=12, minute=0, day_of_week="mon"),
    },
    # Pages cached before a deadline passed or an event began are rendered afresh.
    "expire-pages-past-scheduled-moments": {
        "task": "diplomacy.tasks.expire_pages_past_scheduled_moments",
        "schedule": 60.0,
    },
    "flush-listing-views": {
        "task": "opportunities.tasks.flush_listing_views",
        "schedule": 60.0,
    },
    "remind-publishers-of-waiting-reviews": {
        "task": "opportunities.tasks.remind_publishers_of_waiting_reviews",
        "schedule": 60 * 60.0,
    },
    "write-bulk-downloads": {
        "task": "opportunities.tasks.write_bulk_downloads",
        "schedule": 60 * 60.0,
    },
    # Public sources (opportunities/sources/): each enabled source runs when it is due.
    "sync-due-sources": {
        "task": "opportunities.tasks.sync_due_sources",
        "schedule": 15 * 60.0,
    },
    # The outbox (lib/outbox/): mail that is due and was not sent yet (retries, and mail
    # queued while the broker was down).
    "sweep-outbox": {
        "task": "lib.outbox.tasks.sweep_outbox",
        "schedule": 60.0,
    },
    # Email digests: each period once (opportunities/digests/delivery.py).
    "send-daily-digests": {
        "task": "opportunities.tasks.send_digests",
        "schedule": crontab(hour=DIGEST_HOUR, minute=0),
        "kwargs": {"frequency": "daily"},
    },
    "send-weekly-digests": {
        "task": "opportunities.tasks.send_digests",
        "schedule": crontab(hour=DIGEST_HOUR, minute=0, day_of_week="tue"),
        "kwargs": {"frequency": "weekly"},
    },
    "send-monthly-digests": {
        "task": "opportunities.tasks.send_digests",
        "schedule": crontab(hour=DIGEST_HOUR, minute=0, day_of_month="1"),
        "kwargs": {"frequency": "monthly"},
    },
    # A period whose firing above never reached a worker (broker or beat down), or whose
    # chunks were lost, is started or resumed (opportunities/digests/recovery.py).
    "catch-up-digests": {
        "task": "opportunities.tasks.catch_up_digests",
        "schedule": 60.0,
    },
}

# Email: any SMTP relay. Development and tests use a local SMTP sink on loopback.
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Subnational Diplomacy Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))
# The outbox (lib/outbox/): a failed attempt (4xx, relay down) is retried after
# OUTBOX_RETRY_BACKOFF seconds, doubling (at most an hour apart), OUTBOX_MAX_ATTEMPTS times in
# all; then it fails and staff see it. Mail "being sent" for longer than OUTBOX_SENDING_TIMEOUT
# belonged to a worker that died and is sent again. Mail waiting OUTBOX_STUCK_MINUTES past its
# time is shown as stuck in the admin.
OUTBOX_RETRY_BACKOFF = int(env("OUTBOX_RETRY_BACKOFF", "60"))
OUTBOX_MAX_ATTEMPTS = int(env("OUTBOX_MAX_ATTEMPTS", "10"))
OUTBOX_SENDING_TIMEOUT = int(env("OUTBOX_SENDING_TIMEOUT", str(max(300, 4 * EMAIL_TIMEOUT))))
OUTBOX_STUCK_MINUTES = int(env("OUTBOX_STUCK_MINUTES", "15"))
# Sent mail is deleted after this many days (failed mail stays until staff retry it).
OUTBOX_KEEP_DAYS = int(env("OUTBOX_KEEP_DAYS", "30"))
# Links in emails (sent by workers, outside any request) start with the portal's public address.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# Mail to the public names the sender's postal address (CAN-SPAM).
PORTAL_POSTAL_ADDRESS = env(
    "PORTAL_POSTAL_ADDRESS",
    "Office of Subnational Diplomacy, U.S. Department of State, 2201 C Street NW, "
    "Washington, DC 20520",
)

# Rate limits on public forms (django-ratelimit, counted in Redis); over the limit → 429 page.
RATELIMIT_VIEW = "diplomacy.views.rate_limited"
RATELIMIT_IP_META_KEY = "lib.client_ip.client_ip"

# Staff sign-in is throttled (django-axes, diplomacy/sign_in.py): wrong passwords are counted
# per user name and address, per address (across user names) and per user name (across
# addresses), each with its own limit; reaching one pauses sign-in for the cool-off time.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(env("DJANGO_LOGIN_FAILURE_LIMIT_PER_ADDRESS", "20"))
LOGIN_FAILURE_LIMIT_PER_USERNAME = int(env("DJANGO_LOGIN_FAILURE_LIMIT_PER_USERNAME", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("DJANGO_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_HANDLER = "diplomacy.sign_in.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "diplomacy.sign_in.lockout_response"
# Staff reset a forgotten password by email: the link works for an hour; requests per client
# address and per email address are limited (django-ratelimit rate).
PASSWORD_RESET_TIMEOUT = 60 * 60
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", "5/h")
AXES_CLIENT_IP_CALLABLE = "lib.client_ip.client_ip"
AXES_VERBOSE = False
# Staff also enter a code from an authenticator app (diplomacy/two_factor.py).
STAFF_TWO_FACTOR = env_bool("DJANGO_STAFF_TWO_FACTOR", not DEBUG)
# Staff sessions (diplomacy/staff_sessions.py) end after a working day however active, and
# after a while without requests; with two-factor on, permission changes need a recent code.
STAFF_SESSION_HOURS = int(env("DJANGO_STAFF_SESSION_HOURS", "9"))
STAFF_SESSION_IDLE_MINUTES = int(env("DJANGO_STAFF_SESSION_IDLE_MINUTES", "30"))
STAFF_REVERIFY_MINUTES = int(env("DJANGO_STAFF_REVERIFY_MINUTES", "5"))
OTP_TOTP_ISSUER = "Subnational Diplomacy Portal"
# Administrators delete lost authenticators; nobody reads another person's secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# How many proxies (load balancers) stand in front of the web hosts and add X-Forwarded-For.
TRUSTED_PROXIES = int(env("DJANGO_TRUSTED_PROXIES", "0"))
# Posts allowed per client address and per email address to the local solutions and priorities
# forms (django-ratelimit syntax: count/period, e.g. 5/h).
PUBLIC_FORM_RATE = env("PUBLIC_FORM_RATE", "5/h")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalization: English and Spanish; Spanish pages live under /es/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content (listings, topics, regions) in both languages with django-modeltranslation: one
# column per language beside the original (title_en, title_es). English is the default and
# the fallback; a missing Spanish text is shown in English, marked as such (README, "Two
# languages").
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "es")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "en"  # slugs come from the English title
MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = bilingual.field_label  # "title, in Spanish"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

# Static files: our own in static/, the front-end packages straight from node_modules/.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("uswds/css", NODE_MODULES / "@uswds/uswds/dist/css"),
    ("uswds/js", NODE_MODULES / "@uswds/uswds/dist/js"),
    ("uswds/img", NODE_MODULES / "@uswds/uswds/dist/img"),
    ("uswds/fonts", NODE_MODULES / "@uswds/uswds/dist/fonts"),
    ("htmx", NODE_MODULES / "htmx.org/dist"),
]
# Hashed names, gzip and Brotli copies, served for a year (immutable) by WhiteNoise: production
# and `make run`. In debug (`make dev`, the tests) pages link the plain names, which WhiteNoise
# serves from the source folders as they change.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Public sources listings are imported from (opportunities/sources/). The base URLs are settings
# so that tests and benchmarks can point them at a local server.
GRANTS_GOV_API_URL = env("GRANTS_GOV_API_URL", "https://api.grants.gov/v1/api")
GRANTS_GOV_OPPORTUNITY_URL = env(
    "GRANTS_GOV_OPPORTUNITY_URL", "https://www.grants.gov/search-results-detail/{id}"
)
SOURCES_USER_AGENT = env(
    "SOURCES_USER_AGENT",
    f"SubnationalDiplomacyPortal/1.0 (+{SITE_URL}/about/data/)",
)
SOURCES_TIMEOUT = float(env("SOURCES_TIMEOUT", "30"))
SOURCES_REQUEST_INTERVAL = float(env("SOURCES_REQUEST_INTERVAL", "0.5"))
SOURCES_MAX_BYTES = int(env("SOURCES_MAX_BYTES", str(50 * 1024 * 1024)))
SOURCES_RETRY_BACKOFF = int(env("SOURCES_RETRY_BACKOFF", "300"))

# Shapes for the state map (TopoJSON from the us-atlas npm package).
US_ATLAS_DIR = Path(env("US_ATLAS_DIR", str(NODE_MODULES / "us-atlas")))

# Security. Production (DJANGO_DEBUG=false) gets HTTPS-only defaults; DJANGO_HTTPS=false (set by
# `make run`, which serves plain http://127.0.0.1:8000) turns off the redirect, HSTS and secure
# cookies while keeping everything else production's.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Permissions-Policy (django-permissions-policy), on every response: the portal uses none of
# these browser features, so no page, nor anything framed in one, may ask for them; the last
# two opt out of interest-based advertising (FLoC, Topics).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "ambient-light-sensor": [],
    "autoplay": [],
    "bluetooth": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "local-fonts": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
    "browsing-topics": [],
    "interest-cohort": [],
}
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content Security Policy: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
}

SITE_NAME = _("Subnational Diplomacy Portal")

# Open data: the read-only JSON API (/api/v1/), its OpenAPI schema and docs, feeds, exports
# and bulk downloads (README, "Open data").
# Anyone may read the API, feeds and downloads from a web page on any site; nothing else.
CORS_URLS_REGEX = (
    r"^/(api/|(es/)?opportunities/(feed\.rss|feed\.atom|calendar\.ics|export\.csv)$"
    r"|(es/)?about/data/listings\.(csv|json)$)"
)
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "x-api-key"]
CORS_EXPOSE_HEADERS = ["Retry-After"]

API_RATE_ANONYMOUS = env("API_RATE_ANONYMOUS", "60/minute")
API_RATE_WITH_KEY = env("API_RATE_WITH_KEY", "600/minute")
# CSV exports and search calendars (up to 1,000 listings each), together, per client address.
EXPORT_RATE = env("EXPORT_RATE", "10/minute")
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["opportunities.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["opportunities.api.auth.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opportunities.api.errors.exception_handler",
    # `format` is a search filter (in person, virtual, hybrid), not a choice of renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Subnational Diplomacy Portal API",
    "DESCRIPTION": "Read-only open data: published listings (the search page's filters and "
    "full-text search), states and places. Anonymous use is rate-limited; an API key from "
    "portal staff (header X-API-Key) raises the limit. US government works, public domain.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Deep links put a link inside each operation's button, which screen readers cannot use.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ListingKind": "opportunities.models.Kind",
        "PlaceKind": "cities.models.Place.Kind",
        "StateKind": "cities.models.State.Kind",
    },
}

# Where bulk downloads are written (shared by every web host); they link to SITE_URL.
OPEN_DATA_DIR = Path(env("OPEN_DATA_DIR", str(BASE_DIR / "var" / "downloads")))
# Email digests (opportunities/digests/). Celery settings for exactly-once delivery:
# - acks_late (on the digest tasks, which are idempotent): a task's message is acknowledged
#   only after it finished, so a worker killed mid-chunk leaves it in Redis for another worker;
#   reject_on_worker_lost puts it back at once when a prefork child dies. Repeats are harmless
#   because every digest is claimed in PostgreSQL (unique per subscriber and period) first.
# - prefetch multiplier 1: a worker holds one unacknowledged chunk at a time, so a dead worker
#   delays one chunk, not dozens, and long chunks do not wait behind each other.
# - visibility_timeout: Redis gives an unacknowledged message to another worker after this
#   many seconds. It must exceed the longest chunk and the longest retry countdown (else a task
#   runs twice at once, which the claims make safe but wasteful); it is how fast a dead
#   worker's chunk comes back. There is no result backend (results are ignored), so the
#   broker's transport options are the only place it must be set.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_VISIBILITY_TIMEOUT = int(env("CELERY_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for messages past their visibility timeout every few seconds (kombu's default
    # sweep, every 100 s, would leave a dead worker's chunk waiting long after it expired).
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
}
# Subscribers per chunk task (IDs only travel through the broker).
DIGEST_CHUNK_SIZE = int(env("DIGEST_CHUNK_SIZE", "500"))
# Hours between emails telling publishers that listings wait for review (at least 24; 0: none).
REVIEW_REMINDER_HOURS = int(env("REVIEW_REMINDER_HOURS", "24"))
# A claimed digest not marked sent after this many seconds belongs to a dead worker. Claims are
# taken 50 at a time, so it must cover 50 slow sends (and stay below the visibility timeout).
DIGEST_CLAIM_TIMEOUT = int(env("DIGEST_CLAIM_TIMEOUT", str(max(300, 50 * 2 * EMAIL_TIMEOUT))))
# First retry after a transient SMTP error, in seconds; doubles each time (at most 6 tries).
DIGEST_RETRY_BACKOFF = int(env("DIGEST_RETRY_BACKOFF", "60"))
# Minutes a period's run may take: subscribers still not served this long after their chunks
# were queued get them again from beat's catch-up (the broker lost them); digests claimed or
# unserved this long after the run started show as stuck in the admin.
DIGEST_CATCH_UP_MINUTES = int(env("DIGEST_CATCH_UP_MINUTES", "60"))
# The mailto half of List-Unsubscribe: a mailbox staff read (subject carries the signed token).
DIGEST_UNSUBSCRIBE_EMAIL = env("DIGEST_UNSUBSCRIBE_EMAIL", "unsubscribe@localhost")
DIGEST_LIST_DOMAIN = urlsplit(SITE_URL).hostname or "localhost"
# Subscription requests allowed per IP address and per email address (django-ratelimit rates).
SUBSCRIBE_RATE_PER_IP = env("SUBSCRIBE_RATE_PER_IP", "20/h")
SUBSCRIBE_RATE_PER_ADDRESS = env("SUBSCRIBE_RATE_PER_ADDRESS", "3/h")
# Listings per digest section; more new matches become a link to the search page.
DIGEST_MAX_ITEMS = int(env("DIGEST_MAX_ITEMS", "20"))
