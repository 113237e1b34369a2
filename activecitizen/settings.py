"""One settings module for every environment, driven by environment variables.

With nothing set you get the embedded default: SQLite under var/, local-memory cache, Celery
tasks run inline, SMS and e-mail printed to the console, DEBUG on and a secret key generated once
into var/. Production sets SECRET_KEY (which turns DEBUG off by default), DATABASE_URL, REDIS_URL,
CELERY_BROKER_URL and ALLOWED_HOSTS; docs/deployment.md lists them all.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Secrets and debug -------------------------------------------------------------------------
# A generated key carries this prefix so that a production start on it can be refused.
DEV_SECRET_KEY_PREFIX = "dev-insecure-"  # noqa: S105 - a marker, not a secret


def _dev_secret_key() -> str:
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(DEV_SECRET_KEY_PREFIX + secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_secret_key()
# Whoever provides a real secret key is running production unless they say otherwise.
DEBUG = env_bool("DEBUG", default="SECRET_KEY" not in os.environ)
if not DEBUG and (SECRET_KEY.startswith(DEV_SECRET_KEY_PREFIX) or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is the generated development key (or shorter than 50 "
        "characters). Set SECRET_KEY to a long random value, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Public names of ballot logs and receipts start with this: "<host>/poll/<id>".
TRANSPARENCY_ORIGIN_PREFIX = os.environ.get(
    "TRANSPARENCY_ORIGIN_PREFIX", urlsplit(SITE_URL).netloc or "activecitizen.local"
)

# The ballot logs' Ed25519 key (a C2SP signed-note signer key, "PRIVATE+KEY+<name>+<id>+<key>").
# Without one, a key is generated into TRANSPARENCY_SIGNING_KEY_FILE on first use: fine for a
# development site, but a real one sets it (and keeps it: every receipt is signed with it).
TRANSPARENCY_SIGNING_KEY = os.environ.get("TRANSPARENCY_SIGNING_KEY", "")
TRANSPARENCY_SIGNING_KEY_FILE = os.environ.get(
    "TRANSPARENCY_SIGNING_KEY_FILE", str(VAR_DIR / "transparency-signing.key")
)
TRANSPARENCY_KEY_NAME = os.environ.get("TRANSPARENCY_KEY_NAME", f"{TRANSPARENCY_ORIGIN_PREFIX}/log")
# Seconds within which a queued ballot is promised to be in a signed checkpoint; /healthz fails
# when the oldest waiting ballot is older than twice this.
TRANSPARENCY_MERGE_DELAY = int(os.environ.get("TRANSPARENCY_MERGE_DELAY", "10"))
# Witnesses whose cosignatures are accepted and shown: cosignature/v1 verifier keys.
TRANSPARENCY_WITNESS_KEYS = env_list("TRANSPARENCY_WITNESS_KEYS", [])

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "activecitizen.core",
    "activecitizen.geo",
    "activecitizen.accounts",
    "activecitizen.notifications",
    "activecitizen.rewards",
    "activecitizen.transparency",
    "activecitizen.polls",
    "activecitizen.house",
    "activecitizen.pulse",
    "activecitizen.decisions",
    "activecitizen.news",
    "activecitizen.insights",
    "activecitizen.discussions",
    "activecitizen.novelties",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "activecitizen.core.middleware.RejectNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "activecitizen.core.api.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "activecitizen.urls"
WSGI_APPLICATION = "activecitizen.wsgi.application"
ASGI_APPLICATION = "activecitizen.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "activecitizen.core.context_processors.site",
                "activecitizen.notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'activecitizen.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at the
        # start of a transaction so that two writers queue instead of failing half-way.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # A health check before each request's first query, so that a database restart costs no
    # failed request; DB_HEALTH_CHECKS=0 turns it off.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_HEALTH_CHECKS", True)
    # The same backend, with a health check that looks at the socket instead of a round trip
    # (core/db/postgresql/base.py).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "activecitizen.core.db.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    # Server-side binding sends values apart from the SQL text, and a prepare threshold has
    # PostgreSQL prepare a statement once a connection has run it that many times, instead of
    # parsing and planning it anew each time: half of a ballot's time in the database went on
    # planning its one statement (BENCHMARKS.md). Django leaves preparing off for the sake of
    # poolers that cannot keep prepared statements (PgBouncer before 1.21 in transaction
    # mode): DB_PREPARE_THRESHOLD=0 turns it off there.
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env_bool(
        "DB_SERVER_SIDE_BINDING", True
    )
    _prepare_threshold = int(os.environ.get("DB_PREPARE_THRESHOLD", "5"))
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = _prepare_threshold or None
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# --- Cache and rate limits ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES: dict[str, dict] = {
        "default": {
            "BACKEND": "activecitizen.core.cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ac"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # The default of 300 entries would cull the sign-in state of a busy dev server.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Sign-in limits: (how many, per how many seconds).
SIGN_IN_CODE_LENGTH = 6
SIGN_IN_CODE_TTL = timedelta(minutes=5)
SIGN_IN_CODE_MAX_ATTEMPTS = 5
SIGN_IN_CODE_RESEND_SECONDS = env_int("SIGN_IN_CODE_RESEND_SECONDS", 60)
RATE_LIMITS = {
    "sign_in_code_per_phone": (env_int("RATE_CODES_PER_PHONE_PER_HOUR", 6), 3600),
    "sign_in_code_per_ip": (env_int("RATE_CODES_PER_IP_PER_HOUR", 30), 3600),
    "sign_in_check_per_ip": (env_int("RATE_CODE_CHECKS_PER_IP_PER_10_MIN", 60), 600),
    "orders_per_person": (env_int("RATE_ORDERS_PER_PERSON_PER_MINUTE", 30), 60),
}
# How many proxies in front of the site append to X-Forwarded-For (0: use REMOTE_ADDR).
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# --- Sessions, security ------------------------------------------------------------------------
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz and /livez are probed over plain HTTP by load balancers and supervisors.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
CITY_NAME = os.environ.get("CITY_NAME", "")  # empty: the translated "Moscow"
PHONE_DEFAULT_REGION = os.environ.get("PHONE_DEFAULT_REGION", "RU")
# Map tiles for the pages with maps (Leaflet's {z}/{x}/{y} template). OpenStreetMap's own server
# is for light use only: a busy city should run or rent a tile server and name it here.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Background work ---------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Without a broker every task runs inline where it is queued, which is what the embedded mode
# and the tests want; periodic tasks then run under `manage.py run_scheduler`.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "accounts.purge_sign_in_codes": {
        "task": "activecitizen.accounts.tasks.purge_sign_in_codes",
        "schedule": timedelta(hours=1),
    },
    "rewards.expire_orders": {
        "task": "activecitizen.rewards.tasks.expire_orders",
        "schedule": timedelta(minutes=5),
    },
    "rewards.remind_expiring_orders": {
        "task": "activecitizen.rewards.tasks.remind_expiring_orders",
        "schedule": timedelta(minutes=30),
    },
    "polls.tally_ballots": {
        "task": "activecitizen.polls.tasks.tally_ballots",
        "schedule": timedelta(seconds=1),
    },
    "polls.open_and_close_polls": {
        "task": "activecitizen.polls.tasks.open_and_close_polls",
        "schedule": timedelta(seconds=15),
    },
    "house.advance_meetings": {
        "task": "activecitizen.house.tasks.advance_meetings",
        "schedule": timedelta(minutes=1),
    },
    "house.seal_meeting_logs": {
        "task": "activecitizen.house.tasks.seal_meeting_logs",
        "schedule": timedelta(seconds=5),
    },
    "discussions.tell_neighbours_of_new_projects": {
        "task": "activecitizen.discussions.tasks.tell_neighbours_of_new_projects",
        "schedule": timedelta(minutes=5),
    },
    "decisions.tell_neighbours_of_new_decisions": {
        "task": "activecitizen.decisions.tasks.tell_neighbours_of_new_decisions",
        "schedule": timedelta(minutes=5),
    },
    "notifications.send_daily_digests": {
        "task": "activecitizen.notifications.tasks.send_daily_digests",
        "schedule": timedelta(hours=1),
    },
}
# Fold each ballot into the counts as soon as it is cast (handy without a worker); with a
# broker the beat task above folds them in batches every second instead.
POLLS_TALLY_ON_CAST = env_bool("POLLS_TALLY_ON_CAST", CELERY_TASK_ALWAYS_EAGER)
# How many demo ballots `seed_demo` makes (1: about 54,000; tests use a sliver).
POLLS_DEMO_SCALE = float(os.environ.get("POLLS_DEMO_SCALE", "1"))

# --- SMS and e-mail ----------------------------------------------------------------------------
SMS_BACKENDS = {
    "console": "activecitizen.core.sms.ConsoleSmsBackend",
    "file": "activecitizen.core.sms.FileSmsBackend",
    "http": "activecitizen.core.sms.HttpSmsBackend",
    "memory": "activecitizen.core.sms.MemorySmsBackend",
}
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
if SMS_BACKEND not in SMS_BACKENDS and "." not in SMS_BACKEND:
    raise ImproperlyConfigured(
        f"SMS_BACKEND={SMS_BACKEND!r}: use one of {', '.join(SMS_BACKENDS)} or a dotted path."
    )
SMS_FILE = os.environ.get("SMS_FILE", str(VAR_DIR / "sms.jsonl"))
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
SMS_HTTP_SENDER = os.environ.get("SMS_HTTP_SENDER", "ActiveCitizen")
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 10)

# Notification channels by name (notifications/channels.py); push is sent by a backend: "log"
# records what would be sent (dev, tests), "webpush" sends it (notifications/webpush.py).
NOTIFICATIONS_CHANNELS = {
    "inapp": "activecitizen.notifications.channels.InAppChannel",
    "email": "activecitizen.notifications.channels.EmailChannel",
    "sms": "activecitizen.notifications.channels.SmsChannel",
    "push": "activecitizen.notifications.channels.PushChannel",
}
NOTIFICATIONS_PUSH_BACKEND = os.environ.get("NOTIFICATIONS_PUSH_BACKEND", "log")
# Web push: the site's VAPID key (the private scalar, base64url; `manage.py generate_vapid_keys`)
# and whom push services may contact about it. Keep the key: every subscription is bound to its
# public half, and a new key silently orphans them all.
WEBPUSH_VAPID_PRIVATE_KEY = os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_VAPID_SUBJECT = os.environ.get("WEBPUSH_VAPID_SUBJECT", "")
# How long a push service keeps a message for a device that is offline, and how long a send
# waits for the push service (seconds).
WEBPUSH_TTL = env_int("WEBPUSH_TTL", 24 * 3600)
WEBPUSH_TIMEOUT = env_int("WEBPUSH_TIMEOUT", 10)
# The push services a subscription's endpoint may name (a host, or ".domain" for any host under
# it): the server posts to that address, so an arbitrary https:// URL would let anyone make it
# call machines of their choosing. The browsers' own services by default.
WEBPUSH_PUSH_SERVICES = [
    host.strip().lower()
    for host in os.environ.get(
        "WEBPUSH_PUSH_SERVICES",
        "fcm.googleapis.com,.push.services.mozilla.com,.push.apple.com,.notify.windows.com",
    ).split(",")
    if host.strip()
]
# Refused here rather than at the first notification, which would only be logged. Only the
# key's shape is checked here (settings import no app code); notifications/vapid.py loads it.
if NOTIFICATIONS_PUSH_BACKEND == "webpush" and not WEBPUSH_VAPID_PRIVATE_KEY:
    raise ImproperlyConfigured(
        "NOTIFICATIONS_PUSH_BACKEND=webpush needs WEBPUSH_VAPID_PRIVATE_KEY (and "
        "WEBPUSH_VAPID_SUBJECT): `python manage.py generate_vapid_keys` prints both lines."
    )
if WEBPUSH_VAPID_PRIVATE_KEY:
    try:
        _vapid_raw = base64.urlsafe_b64decode(
            WEBPUSH_VAPID_PRIVATE_KEY + "=" * (-len(WEBPUSH_VAPID_PRIVATE_KEY) % 4)
        )
    except ValueError:
        _vapid_raw = b""
    if len(_vapid_raw) != 32:
        raise ImproperlyConfigured(
            "WEBPUSH_VAPID_PRIVATE_KEY is not a VAPID private key (32 bytes, base64url): "
            "`python manage.py generate_vapid_keys` makes one."
        )
if (
    NOTIFICATIONS_PUSH_BACKEND == "webpush" or WEBPUSH_VAPID_SUBJECT
) and not WEBPUSH_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        "WEBPUSH_VAPID_SUBJECT must be a mailto: or https:// address of the site's operators "
        "(e.g. mailto:push@example.city): push services write there about this site's pushes."
    )
NOTIFICATIONS_DIGEST_HOUR = env_int("NOTIFICATIONS_DIGEST_HOUR", 9)
# "Something new near my home": how near, in metres.
NOTIFICATIONS_NEARBY_METRES = env_int("NOTIFICATIONS_NEARBY_METRES", 1000)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Active Citizen <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ---------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "activecitizen.core.views.csrf_failure"
