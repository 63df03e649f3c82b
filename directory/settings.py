"""Settings for the funding directory: one module, configured from the environment.

Every value has a safe default for a newcomer's first run (SQLite, DEBUG on only when asked);
production sets DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and leaves DEBUG unset.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool = False) -> bool:
    # A typo ("ture", "enabled") must not quietly turn DEBUG or an HTTPS redirect off: refuse to start.
    value = os.environ.get(name)
    if value is None or not value.strip():  # "SECURE_SSL_REDIRECT=" in an .env file: not set
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value; use one of {', '.join(sorted(_TRUE | _FALSE))}."
    )


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

# A development key is only acceptable while DEBUG is on; a production process without
# SECRET_KEY refuses to start rather than sign cookies with a key published on GitHub.
_DEV_SECRET_KEY = "django-insecure-dev-only-key-not-for-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    # modeltranslation must come before the admin so its admin integration is registered first.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so that runserver serves files as production does (WhiteNoise).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    # Full-text search, trigram lookups (PostgreSQL); inert on SQLite.
    "django.contrib.postgres",
    "django_filters",
    "import_export",
    "csp",
    "axes",
    "simple_history",
    # The public JSON API (/api/v1/), its OpenAPI schema, and Swagger UI from our own static files.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "programmes",
]

MIDDLEWARE = [
    # First, so that every response (errors and redirects included) is timed and logged.
    "programmes.middleware.RequestLogMiddleware",
    # Each request reads the directory version once (programmes/versioning.py).
    "programmes.versioning.DirectoryVersionMiddleware",
    # CORS for /api/ only (CORS_URLS_REGEX), before anything that may answer: preflights included.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "programmes.middleware.PermissionsPolicyMiddleware",
    # Static files straight after the HTTPS redirect: no session, locale or CSRF work for them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "programmes.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "programmes.middleware.AdminLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Saves made while handling a request are attributed to its user in the audit history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "directory.urls"

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
                "django.template.context_processors.i18n",
                "programmes.context_processors.languages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "directory.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        # An empty DATABASE_URL (as `DATABASE_URL= make test` sets) means the default, not an error.
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes write to one file (workers, import and shell commands): each transaction
    # takes the write lock when it begins (no lock upgrade that fails at once with "database is
    # locked"), waits its turn for up to 20 s, and readers carry on during a write (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages -------------------------------------------------------------------------
# Russian is the language most programmes are published in, so it is the default and the
# first fallback; the public URL always carries the language (/kk/, /ru/, /en/).
LANGUAGE_CODE = "ru"
LANGUAGES = [
    ("kk", _("Kazakh")),
    ("ru", _("Russian")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django has no Kazakh number and date formats; ours are in programmes/formats/kk/.
FORMAT_MODULE_PATH = ["programmes.formats"]
USE_I18N = True

# Untranslated content falls back to Russian, then English, then Kazakh (issue #2).
MODELTRANSLATION_DEFAULT_LANGUAGE = "ru"
MODELTRANSLATION_LANGUAGES = ("kk", "ru", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("ru", "en", "kk")
MODELTRANSLATION_TRANSLATION_FILES = ()
# The admin's language tabs need jQuery UI's tabs. modeltranslation loads them from a CDN by
# default, which the admin's Content Security Policy refuses (and staff then see three fields
# with one label): ours is a pinned, tabs-only build served with our static files
# (programmes/static/programmes/vendor/jquery-ui-1.14.1/, with its licence).
JQUERY_UI_URL = "programmes/vendor/jquery-ui-1.14.1/jquery-ui.tabs.js"

# The admin's language for staff who have chosen none: no language cookie (the site's language
# switcher sets it) and no browser language among kk/ru/en (programmes.middleware.AdminLanguageMiddleware).
# The public site is unaffected: its address always names the language.
ADMIN_LANGUAGE_CODE = os.environ.get("ADMIN_LANGUAGE_CODE", "ru")
if ADMIN_LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"ADMIN_LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}.")

# All of Kazakhstan has been on UTC+5 since March 2024; "today" for deadlines is Almaty's today.
TIME_ZONE = "Asia/Almaty"
USE_TZ = True

# Links typed without a scheme are taken as https:// (Django 6's default, adopted early).
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "static/"
# `make collectstatic` (part of every deployment) gathers the files here; WhiteNoise serves them.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed names (cached for a year by browsers) in production; plain
    # files while developing, so that no collectstatic is needed for `make run` or the tests.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("PLAIN_STATIC_FILES")
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security --------------------------------------------------------------------------
# Safe by default: these are on unless DEBUG is, so production needs no extra switches.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF token from the cookie (forms carry it), so scripts cannot either.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# A load balancer probes /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is the domain owner's one-way decision (browsers ship the list; leaving it takes
    # months), so it is opt-in through SECURE_HSTS_PRELOAD and its deploy-check warning is silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# Powerful browser features no page of ours uses (programmes.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Set when our own reverse proxy (nginx, a load balancer) stands in front of Django. Only then are
# its headers trusted: X-Forwarded-Proto for HTTPS, and the last X-Forwarded-For entry as the
# visitor's address (programmes.middleware.client_ip: admin lockout and every public throttle).
# Never on when clients reach Django directly: they could then choose their own address.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The admin's address; moving it off /admin/ cuts the noise of scripted login attempts.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
# The admin's sign-in is the only one: an unsafe or missing ?next= leads to the admin's index
# (Django's default, /accounts/profile/, does not exist here).
LOGIN_REDIRECT_URL = "admin:index"

# Content Security Policy (django-csp). Public pages run no script of ours: only elements that
# carry the request's nonce (the programme page's JSON-LD) are allowed, never inline handlers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The admin alone (programmes.middleware.ContentSecurityPolicyMiddleware applies it under
# ADMIN_URL): Django's admin widgets and django-import-export's export form use inline
# handlers and style attributes. A nonce would disable 'unsafe-inline', so none is sent here.
ADMIN_CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
}

# Admin login throttling (django-axes): a username is locked out from the address that failed
# AXES_FAILURE_LIMIT times in a row, for AXES_COOLOFF_TIME; the same person elsewhere, or
# someone else at the same office address, can still sign in.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout ends when the page says it does: retrying while locked out does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Every failed sign-in is kept for staff to review (Axes → Access failures in the admin).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "programmes.views.admin_locked_out"
AXES_CLIENT_IP_CALLABLE = "programmes.middleware.client_ip"
# Passwords are never stored with a failed attempt (they are often a real password, mistyped).
AXES_SENSITIVE_PARAMETERS = ["password"]
# Identical search pages are served from the cache for this long (0: never; the benchmarks
# measure the uncached page). Any change to the directory invalidates them at once.
SEARCH_PAGE_CACHE_SECONDS = int(os.environ.get("SEARCH_PAGE_CACHE_SECONDS", "60"))
# Feeds, calendars of searches, "Download these results" and sitemap sections read many rows:
# each address may have at most this many of them built a minute (copies served from the cache
# are not counted); past that, 429 with Retry-After.
EXPENSIVE_REQUESTS_PER_MINUTE = int(os.environ.get("EXPENSIVE_REQUESTS_PER_MINUTE", "30"))
# A sitemap section is built once per change of the directory and kept at most this long.
SITEMAP_CACHE_SECONDS = int(os.environ.get("SITEMAP_CACHE_SECONDS", str(60 * 60)))
# Each process keeps the id sets of recent word matches (search.ranking.MatchCache) up to this many
# bytes (an entry is 8 bytes per matching programme); 0 turns it off.
SEARCH_MATCH_CACHE_BYTES = int(os.environ.get("SEARCH_MATCH_CACHE_BYTES", str(32 * 2**20)))

# --- Public API (/api/v1/, programmes/api.py) --------------------------------------------
# Requests per client address a minute, counted once for all workers; past that, 429.
API_REQUESTS_PER_MINUTE = int(os.environ.get("API_REQUESTS_PER_MINUTE", "60"))
API_MAX_PAGE_SIZE = 100
REST_FRAMEWORK = {
    # Anonymous and read-only: no sessions, no tokens, so no CSRF and nothing personal to cache.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "programmes.api.exception_handler",
    # ?format= is not a parameter of ours (a filter could be named so one day).
    "URL_FORMAT_OVERRIDE": None,
    # Texts stay as they are (Cyrillic and Kazakh letters, not \u escapes).
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Creative Funding KZ API",
    "DESCRIPTION": (
        "Read-only public API of the directory of funding for Kazakhstan's creative economy: the "
        "published programmes with the search page's filters, order and counts, their organisations, "
        "and the taxonomies. Anonymous; at most API_REQUESTS_PER_MINUTE requests a minute per address "
        "(429 with Retry-After past that); answers carry an ETag (304 to If-None-Match while the "
        "directory is unchanged); any origin may read it (CORS)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge fetched from swagger.io: the page loads nothing from other sites.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "deepLinking": True},
    # The `lang` parameter and the `language` fields take the same three codes.
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": "programmes.serializers.LANGUAGES"},
}
# django-cors-headers: any site may read the API from a browser; nothing else, and no cookies.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "content-language", "if-none-match"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Content-Language"]

# --- Cache -------------------------------------------------------------------------------
# Without REDIS_URL each process keeps its own small cache (nothing to install). With it, every
# app server shares one Redis: a save invalidates cached pages everywhere at once, and an
# import's preview and its confirmation may be served by different servers (below).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "directory",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Spreadsheet import and export (django-import-export) --------------------------------
# Import and export are real permissions (programmes.import_programme / export_programme).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# Our resource writes each programme's history itself, saying which columns changed, for the
# admin and the command line alike; the library's own entries would repeat it.
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# The uploaded file waits between preview and confirmation (programmes/uploads.py: random
# names, offered to the previewing session only). By default in a private temporary folder on
# the server that showed the preview, which another app server cannot read; with Redis it
# waits in the shared cache instead.
IMPORT_EXPORT_TMP_STORAGE_CLASS = (
    "programmes.uploads.PrivateCacheStorage" if REDIS_URL else "programmes.uploads.PrivateFolderStorage"
)

# --- Directory -------------------------------------------------------------------------
PROGRAMMES_PER_PAGE = 20
# Days within which a deadline counts as "closing soon" on the home page.
CLOSING_SOON_DAYS = 30
# "Download these results" exports at most this many programmes.
PUBLIC_EXPORT_LIMIT = 1000

# --- Keeping the directory true (review queue, link checks, public forms) ------------------
# A published programme not verified by staff for this many days goes to the review queue.
REVIEW_AFTER_DAYS = int(os.environ.get("REVIEW_AFTER_DAYS", "90"))
# manage.py check_links: who we are (sites see it in their logs), timeouts and politeness.
# Production sets LINK_CHECK_CONTACT_URL to the public site (or a page about the checker).
LINK_CHECK_CONTACT_URL = os.environ.get("LINK_CHECK_CONTACT_URL", "http://localhost:8000/")
LINK_CHECK_USER_AGENT = f"CreativeFundingKZ-LinkChecker/1.0 (+{LINK_CHECK_CONTACT_URL})"
LINK_CHECK_CONNECT_TIMEOUT = float(os.environ.get("LINK_CHECK_CONNECT_TIMEOUT", "10"))
LINK_CHECK_READ_TIMEOUT = float(os.environ.get("LINK_CHECK_READ_TIMEOUT", "20"))
LINK_CHECK_REQUESTS_PER_SECOND = float(os.environ.get("LINK_CHECK_REQUESTS_PER_SECOND", "1"))
# Public forms (report a problem, suggest a programme): spam protection without a captcha.
PUBLIC_FORM_MIN_SECONDS = 3  # faster than this from page to submit is a robot (or a very quick person)
PUBLIC_FORM_MAX_AGE = 24 * 60 * 60  # a form older than a day is stale
PUBLIC_FORM_RATE_LIMIT = int(os.environ.get("PUBLIC_FORM_RATE_LIMIT", "5"))  # accepted submissions …
PUBLIC_FORM_RATE_WINDOW = 60 * 60  # … per address per hour (the address: see BEHIND_PROXY)


# --- Email: alerts and reminders ---------------------------------------------------------------
# EMAIL_URL configures the whole connection in one variable:
#   smtp://user:password@mail.example.kz:587?tls=1   (STARTTLS)   smtps://…:465   (implicit TLS)
#   console://   (print emails: the default, so nothing is ever sent by accident)
# or set EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS one by one.
def _email_settings() -> dict:
    url = os.environ.get("EMAIL_URL", "").strip()
    if not url:
        if not os.environ.get("EMAIL_HOST"):
            return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": os.environ["EMAIL_HOST"],
            "EMAIL_PORT": int(os.environ.get("EMAIL_PORT", "587")),
            "EMAIL_HOST_USER": os.environ.get("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", default=True),
            "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", default=False),
        }
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtps:// or console://.")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit_tls = parts.scheme == "smtps" or options.get("ssl", "").lower() in {"1", "true", "yes"}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if implicit_tls else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": implicit_tls,
        "EMAIL_USE_TLS": not implicit_tls and options.get("tls", "1").lower() in {"1", "true", "yes"},
    }


_email = _email_settings()
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Creative Funding KZ <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 30
# Links in emails are absolute and cannot use the request's host: the scheme and host the
# public site is served on, without a trailing slash.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# An unconfirmed alert or reminder is forgotten after this many days (and its link expires).
ALERT_CONFIRM_DAYS = 3
# Subscription requests accepted per address a day and per IP address an hour, so that the
# forms cannot be used to flood someone's inbox with confirmation emails.
ALERT_REQUESTS_PER_EMAIL = 3
ALERT_REQUESTS_PER_IP = 20
# All subscription requests together per hour: a ceiling on the confirmation emails the site sends.
ALERT_CONFIRMATIONS_PER_HOUR = int(os.environ.get("ALERT_CONFIRMATIONS_PER_HOUR", "200"))
# A digest lists at most this many programmes of each kind (new, changed), then links the search.
ALERT_DIGEST_LIMIT = 20

# Spreadsheet imports (admin and import_programmes): what a file may hold before it is even
# parsed, so that a wrong or hostile file is refused with a message instead of filling memory.
IMPORT_MAX_FILE_SIZE = int(os.environ.get("IMPORT_MAX_FILE_SIZE", str(5 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "200"))
# XLSX and ODS are zip files: their members' declared sizes, added up, and each member's
# compression ratio are checked before a spreadsheet library opens them (zip bombs).
IMPORT_MAX_UNCOMPRESSED_SIZE = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_SIZE", str(64 * 1024 * 1024)))
IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "200"))
# Uploads up to this size are kept in memory, larger ones go to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_FILE_SIZE

# One JSON object per line on stdout (programmes.logs.JSONFormatter): requests, imports, errors.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "programmes.logs.JSONFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Requests are logged once, by programmes.middleware.RequestLogMiddleware (without
        # query strings); Django's own request and development-server lines would repeat them.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
