"""The one settings module. Everything configurable comes from the environment.

Zero configuration runs the embedded default: SQLite and a generated secret key,
both under ./var/ relative to the working directory.
"""

import importlib.util
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gridgov.lib.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_weights,
)

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("GRIDGOV_VAR_DIR", "var")).resolve()

DEBUG = env_bool("DEBUG", False)


def _embedded_secret_key() -> str:
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


DATABASE_URL = env_str("DATABASE_URL")
# The embedded default (no DATABASE_URL: SQLite under ./var/) is the one-laptop demo,
# so it may keep its own generated key; any real deployment must set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or not DATABASE_URL:
        SECRET_KEY = _embedded_secret_key()
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )

# Seconds a web process keeps a database connection open between requests (0: a new one
# per request). The development server (`gridgov demo`, `gridgov runserver`) always uses 0:
# it serves each browser connection in a thread of its own, and every idle keep-alive
# connection would hold a database connection of its own.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60, minimum=0)

if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(
            f"DATABASE_URL could not be read ({exc}). Use postgres://USER:PASSWORD@HOST:PORT/NAME "
            "or sqlite:////absolute/path.db."
        ) from None
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "gridgov.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
        }
    }

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Reverse proxies whose X-Forwarded-For names the client, for the per-address rate limits.
GRIDGOV_TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"TIME_ZONE {TIME_ZONE!r} is not a known time zone, e.g. Asia/Shanghai."
    )
USE_TZ = True
USE_I18N = True
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE {LANGUAGE_CODE!r} is not offered; use one of: "
        + ", ".join(code for code, _name in LANGUAGES)
    )
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gridgov.accounts",
    "gridgov.regions",
    "gridgov.web",
    "gridgov.demo",
    "gridgov.workdays",
    "gridgov.cases",
    "gridgov.metrics",
    "gridgov.api",
    "gridgov.open311",
    "gridgov.triage",
    "gridgov.notices",
    "gridgov.registry",
    "gridgov.burden",
    "gridgov.emergency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gridgov.web.middleware.ContentSecurityPolicyMiddleware",
    # Under /api/ only: JSON for every error, and the request size limit (413).
    "gridgov.api.middleware.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.web.middleware.SiteLanguageMiddleware",
    "gridgov.web.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.web.middleware.NotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

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
                "gridgov.web.context_processors.site",
                "gridgov.notices.context_processors.notices",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "static/"
# Leaflet comes from the django-leaflet package on PyPI; only its static files are used
# (its Django app needs GDAL), so the map works on a closed network with no CDN.
STATICFILES_DIRS = [
    Path(importlib.util.find_spec("leaflet").submodule_search_locations[0]) / "static",
]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static"))).resolve()
# Serve straight from the apps' static folders so the embedded demo needs no collectstatic;
# deployments run `gridgov collectstatic` and get compressed, cached files.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
if STATIC_ROOT.is_relative_to(VAR_DIR):
    # WhiteNoise warns on every start when STATIC_ROOT is missing, even though the
    # embedded default serves from the apps' folders and never collects into it.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS for deployments (README, Deploying): all off by default, so the demo and plain-HTTP
# test servers keep working; `gridgov check --deploy` says which are missing.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a reverse proxy that ends TLS, the header by which it says the request came over
# HTTPS (X-Forwarded-Proto: https); without it SECURE_SSL_REDIRECT would redirect forever.
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER")
if _PROXY_SSL_HEADER:
    if not _PROXY_SSL_HEADER.replace("-", "").isalnum():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, "
            f"not {_PROXY_SSL_HEADER!r}."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "at_debug": {"()": "gridgov.lib.logs.AtDebugLevel"},
        "forbidden_at_debug": {"()": "gridgov.lib.logs.AtDebugLevel", "statuses": [403]},
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Routine events that would drown the console (shown with LOG_LEVEL=DEBUG): a page
    # refused to someone without the right (403, with a traceback when raised as
    # PermissionDenied), a form refused for a stale CSRF token (a tab left open over a
    # login), and the worker's RUNNING/SUCCESSFUL line for every task. Failed tasks, 404s
    # and server errors keep their level.
    "loggers": {
        "django.request": {"filters": ["forbidden_at_debug"]},
        "django.security.csrf": {"filters": ["forbidden_at_debug"]},
        "django_tasks": {"filters": ["at_debug"]},
    },
}

# --- gridgov ---------------------------------------------------------------
# Region codes: digits each level adds, from the national 12-digit statistical code
# (province+city 4, district 2, street 3, community 3) plus the 3-digit grid sequence
# and a 3-digit building sequence. A locality with another scheme overrides it.
GRIDGOV_REGION_CODE_SEGMENTS = env_str(
    "REGION_CODE_SEGMENTS", "city:4,district:2,street:3,community:3,grid:3,building:3"
)
# Statistical codes of the first four levels are right-padded with zeros to this width.
GRIDGOV_REGION_CODE_WIDTH = env_int("REGION_CODE_WIDTH", 12)
# How long a process trusts its in-memory locate index before checking the database
# for boundary changes made by other processes.
GRIDGOV_LOCATE_RECHECK_SECONDS = env_int("LOCATE_RECHECK_SECONDS", 30)

# Default deadlines by urgency, following the hotline tiers: 2 hours where life or
# property is in danger, 24 hours for water/power/gas/heating, 7 working days in general,
# 15 for complex matters. DeadlinePolicy rows in the admin override them per category.
GRIDGOV_DEADLINE_TIERS = {
    "emergency": {"accept_hours": 1, "handle_amount": 2, "handle_unit": "hours", "verify_hours": 2},
    "utility": {"accept_hours": 2, "handle_amount": 24, "handle_unit": "hours", "verify_hours": 4},
    "normal": {
        "accept_hours": 24,
        "handle_amount": 7,
        "handle_unit": "working_days",
        "verify_hours": 48,
    },
    "complex": {
        "accept_hours": 24,
        "handle_amount": 15,
        "handle_unit": "working_days",
        "verify_hours": 72,
    },
}
GRIDGOV_SUMMON_REPORT_MINUTES = env_int("SUMMON_REPORT_MINUTES", 30)
# Background jobs (the deadline watch) go through the database, so `gridgov worker` needs
# nothing beyond the database the site already uses; Django 5.2 takes django.tasks from
# the django-tasks backport.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
GRIDGOV_RETURNS_BEFORE_DISPUTE = 2
# The composite ranking score's weights and the satisfaction formula (gridgov/metrics).
GRIDGOV_METRICS = {"basically_satisfied_weight": env_float("BASICALLY_SATISFIED_WEIGHT", 0.8)}
if env_weights("RANKING_WEIGHTS") is not None:
    GRIDGOV_RANKING_WEIGHTS = env_weights("RANKING_WEIGHTS")
# Text triage (gridgov/triage): below THRESHOLD a suggested case waits for a person; above
# it a case is dispatched by itself only where its category's TriageCategorySetting allows.
GRIDGOV_TRIAGE = {
    "THRESHOLD": env_float("TRIAGE_THRESHOLD", 0.8),
    "AUTO_DISPATCH": env_bool("TRIAGE_AUTO_DISPATCH", True),
    "TOP_TERMS": 5,
}
# Duplicate candidates on the case page (gridgov/triage/duplicates.py): open cases received
# within WINDOW_DAYS, within RADIUS_M (or the same community without a point), whose text
# similarity is at least MIN_SIMILARITY (chosen with bench/duplicates.py; see BENCHMARKS.md).
GRIDGOV_DUPLICATES = {
    "RADIUS_M": env_int("DUPLICATE_RADIUS_M", 500),
    "WINDOW_DAYS": env_int("DUPLICATE_WINDOW_DAYS", 30),
    "MIN_SIMILARITY": env_float("DUPLICATE_MIN_SIMILARITY", 0.21),
    "MAX_CANDIDATES": 300,
    "SHOW": 5,
    "TEXT_WEIGHT": 0.7,
}
# Hot spots and monthly topics (gridgov/triage/hotspots.py): a week's count is a spike when
# it reaches max(MIN_COUNT, mean + SD_FACTOR·max(sd, √mean)) of the previous BASELINE_WEEKS
# (METHOD "poisson": when its Poisson tail probability is below POISSON_ALPHA).
GRIDGOV_HOTSPOTS = {
    "BASELINE_WEEKS": env_int("HOTSPOT_BASELINE_WEEKS", 8),
    "MIN_COUNT": env_int("HOTSPOT_MIN_COUNT", 3),
    "SD_FACTOR": env_float("HOTSPOT_SD_FACTOR", 3.0),
    "METHOD": env_str("HOTSPOT_METHOD", "sd"),
    "POISSON_ALPHA": 0.001,
    "TOPIC_DAYS": env_int("HOTSPOT_TOPIC_DAYS", 30),
}
if GRIDGOV_HOTSPOTS["METHOD"] not in {"sd", "poisson"}:
    raise ImproperlyConfigured("HOTSPOT_METHOD must be sd or poisson.")
GRIDGOV_MAX_PHOTO_BYTES = env_int("MAX_PHOTO_MB", 10) * 2**20
GRIDGOV_MAX_PHOTOS = 9
# A case's description, by any door (pages, API, Open311): Open311's 4,000 by default.
GRIDGOV_MAX_DESCRIPTION_CHARS = env_int("MAX_DESCRIPTION_CHARS", 4000, minimum=1)
# Login throttle (gridgov/accounts/throttle.py), as graded protection (等保) expects: after
# MAX_FAILURES wrong passwords for one username within WINDOW_MINUTES, or MAX_FAILURES_PER_ADDRESS
# from one client address, logging in there is refused for LOCKOUT_MINUTES.
GRIDGOV_LOGIN_THROTTLE = {
    "MAX_FAILURES": env_int("LOGIN_MAX_FAILURES", 5, minimum=1),
    "MAX_FAILURES_PER_ADDRESS": env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1),
    "WINDOW_MINUTES": env_int("LOGIN_FAILURE_WINDOW_MINUTES", 30, minimum=1),
    "LOCKOUT_MINUTES": env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1),
}
# Anonymous forms, per client address per hour: enough for a family, not for a script.
GRIDGOV_PUBLIC_REPORTS_PER_HOUR = env_int("PUBLIC_REPORTS_PER_HOUR", 10)
GRIDGOV_PUBLIC_LOOKUPS_PER_HOUR = env_int("PUBLIC_LOOKUPS_PER_HOUR", 30)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20

# --- Open311 GeoReport v2 (gridgov/open311/conf.py has the defaults) ----------------------
GRIDGOV_OPEN311_JURISDICTION = env_str("GRIDGOV_OPEN311_JURISDICTION", "gridgov")
GRIDGOV_OPEN311_MAX_REQUESTS = env_int("GRIDGOV_OPEN311_MAX_REQUESTS", 1000)
GRIDGOV_OPEN311_WINDOW_DAYS = env_int("GRIDGOV_OPEN311_WINDOW_DAYS", 90)
for _name in ("GRIDGOV_OPEN311_CONTACT", "GRIDGOV_OPEN311_KEY_SERVICE"):
    if env_str(_name):
        globals()[_name] = env_str(_name)

# --- the open API (gridgov/api) ---------------------------------------------------------
# A body over this is refused with 413 before anything reads it (photos come multipart).
GRIDGOV_API_MAX_BODY_BYTES = env_int("API_MAX_BODY_MB", 25) * 2**20
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "gridgov.api.auth.BearerTokenAuthentication",
        "gridgov.api.auth.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "gridgov.api.parsers.JsonBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridgov.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon_intake": f"{env_int('API_ANON_INTAKES_PER_HOUR', 30)}/hour",
    },
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridgov API",
    "DESCRIPTION": "网格化基层治理平台: regions, the category catalogue, cases and their "
    "actions, metrics. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served by gridgov itself (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set used under several field names.
    "ENUM_NAME_OVERRIDES": {
        "UrgencyEnum": "gridgov.cases.choices.Urgency",
        "ActionEnum": "gridgov.cases.choices.Action",
        "StatusEnum": "gridgov.cases.choices.Status",
        "ResponseRatingEnum": "gridgov.cases.choices.ResponseRating",
        "OrganisationKindEnum": "gridgov.registry.choices.OrganisationKind",
        "DemandKindEnum": "gridgov.burden.choices.DemandKind",
        "AdmissionEnum": "gridgov.burden.choices.Admission",
        "RecipientStateEnum": "gridgov.burden.choices.RecipientState",
        "SecondmentKindEnum": "gridgov.burden.choices.SecondmentKind",
        "LevelEnum": "gridgov.regions.choices.Level",
        # Emergency mode: a risk area's level (never "none"), an arrival origin's level.
        "RiskAreaLevelEnum": "gridgov.emergency.api_serializers.AREA_LEVELS",
        "RiskLevelEnum": "gridgov.emergency.choices.RiskLevel",
        "CertificationStateEnum": "gridgov.emergency.models.CertificationState",
    },
    "PATH_CONVERTER_OVERRIDES": {
        "api_case_number": {"type": "string", "pattern": "^[0-9A-Za-z-]{1,20}$"},
        "api_region_code": {"type": "string", "pattern": "^[0-9A-Za-z]{1,32}$"},
        "api_id": {"type": "integer", "minimum": 1, "maximum": 999999999999999999},
    },
}

MAP_TILE_URL = env_str("MAP_TILE_URL")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION")
# The datum the map shows (and a click on it means): the boundaries' and the tiles' datum.
MAP_DATUM = env_str("MAP_DATUM", "gcj02")

SITE_NAME = _("gridgov 网格化基层治理平台")

# The registry of people and places (gridgov/registry): the keys that seal ID numbers and
# phones, and those of their blind indexes, as `id:base64key,…`, the current one first
# (`gridgov registry new-key` makes one). Unset, they are made once into
# ./var/registry_keys.json, which suits the embedded default; `check --deploy` asks a
# deployment to set both and keep them out of the database and its backups.
REGISTRY_KEYS = env_str("REGISTRY_KEYS")
REGISTRY_HMAC_KEYS = env_str("REGISTRY_HMAC_KEYS")
# Who may see the names under a sensitive tag (重点人员 …), within their scope; everyone
# else sees counts.
REGISTRY_SENSITIVE_TAG_ROLES = env_list(
    "REGISTRY_SENSITIVE_TAG_ROLES", "leader,community_staff,street_staff,administrator"
)
# Importing a community's list of people (gridgov/registry/importing.py): a larger file or
# one with more rows is refused before anything is read into the registry.
REGISTRY_IMPORT = {
    "MAX_BYTES": env_int("REGISTRY_IMPORT_MAX_MB", 20, minimum=1) * 2**20,
    "MAX_ROWS": env_int("REGISTRY_IMPORT_MAX_ROWS", 100_000, minimum=1),
}

# Burden reduction (gridgov/burden): a demand giving fewer working days than this is
# flagged as a short deadline; one asking again within BURDEN_REPEAT_DAYS what the same
# sender already asked the same places is flagged as a repeat; a secondment may run at most
# BURDEN_SECONDMENT_MAX_DAYS; the observatory estimates the hours a demand costs each
# community from minutes per kind.
BURDEN_SHORT_DEADLINE_WORKING_DAYS = env_int("BURDEN_SHORT_DEADLINE_WORKING_DAYS", 3, minimum=1)
BURDEN_REPEAT_DAYS = env_int("BURDEN_REPEAT_DAYS", 30, minimum=0)
BURDEN_SECONDMENT_MAX_DAYS = env_int("BURDEN_SECONDMENT_MAX_DAYS", 180, minimum=1)
BURDEN_MINUTES_PER_KIND = {
    "data_request": env_int("BURDEN_MINUTES_DATA_REQUEST", 120, minimum=0),
    "task": env_int("BURDEN_MINUTES_TASK", 240, minimum=0),
    "meeting": env_int("BURDEN_MINUTES_MEETING", 120, minimum=0),
    "inspection": env_int("BURDEN_MINUTES_INSPECTION", 240, minimum=0),
    "indicator": env_int("BURDEN_MINUTES_INDICATOR", 60, minimum=0),
    "campaign": env_int("BURDEN_MINUTES_CAMPAIGN", 180, minimum=0),
    "document": env_int("BURDEN_MINUTES_DOCUMENT", 60, minimum=0),
}
