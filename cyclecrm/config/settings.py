"""Settings, read only from the environment (12-factor).

Development defaults are safe and need no set-up: an SQLite database and a generated secret key
under the data directory. `CYCLECRM_ENV=production` turns the defaults strict: SECRET_KEY is
required and the secure cookie / HSTS settings switch on.
"""

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from cyclecrm.config.env import env_bool, env_int, env_list
from cyclecrm.core.logs import logging_config

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENT = os.environ.get("CYCLECRM_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
DATA_DIR = Path(os.environ.get("CYCLECRM_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when CYCLECRM_ENV=production")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "huey.contrib.djhuey",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "cyclecrm.core",
    "cyclecrm.identity",
    "cyclecrm.contacts",
    "cyclecrm.leads",
    "cyclecrm.pipeline",
    "cyclecrm.catalog",
    "cyclecrm.activities",
    "cyclecrm.support",
    "cyclecrm.integrations",
    "cyclecrm.feedback",
    "cyclecrm.jobs",
    "cyclecrm.segments",
    "cyclecrm.intelligence",
    "cyclecrm.analytics",
    "cyclecrm.nurture",
    "cyclecrm.mailings",
    "cyclecrm.campaigns",
    "cyclecrm.automation",
    "cyclecrm.loyalty",
    "cyclecrm.advocacy",
    "cyclecrm.dataquality",
    "cyclecrm.web",
]

MIDDLEWARE = [
    # First, so that every response (redirects and refusals included) carries X-Request-ID and
    # every log line of the request its id.
    "cyclecrm.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cyclecrm.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cyclecrm.identity.middleware.SessionIdleTimeoutMiddleware",
    "cyclecrm.identity.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cyclecrm.core.middleware.RejectNulCharacterMiddleware",
    # Last, so it sees the response of the login view and replaces it when the attempt that
    # just failed locked the account (docs/security.md, "Accounts").
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cyclecrm.config.urls"
WSGI_APPLICATION = "cyclecrm.config.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks lock-outs before any other backend looks at the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cyclecrm.web.context.navigation",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "cyclecrm.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept between requests as on PostgreSQL: opening one (reading the schema,
    # the PRAGMAs below) cost about 5 ms of CPU per request at a million contacts, a quarter of
    # the list page's budget (docs/performance.md). Safe: Django keeps one connection per
    # thread and closes it after an error; autocommit leaves no transaction open between requests.
    DATABASES["default"]["OPTIONS"] = {
        # Memory per connection (Django keeps one per thread): a 64 MB page cache and the first
        # 64 MB of the file mapped, so a gunicorn worker with 4 threads stays under 1 GiB
        # resident at a million contacts; 256 MB maps put it at 1.6 GB (docs/performance.md).
        # WAL lets readers and the single writer work at once; IMMEDIATE transactions take the
        # write lock up front so concurrent writers wait (busy_timeout) instead of failing.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=10000;"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-64000;"
            "PRAGMA mmap_size=67108864;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cyclecrm@localhost")

# Largest request body other than a file upload (JSON, form posts): 413 above it (the e-mail API
# carries attachments base64-encoded, up to EMAIL_MAX_ATTACHMENT_BYTES). Uploads are limited by
# IMPORT_MAX_UPLOAD_MB (core/middleware.py RequestSizeLimitMiddleware); files above
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("CYCLECRM_MAX_BODY_MB", default=16) * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

SESSION_COOKIE_HTTPONLY = True
# Sessions end after SESSION_COOKIE_AGE at the latest, after SESSION_IDLE_SECONDS without a
# request (cyclecrm/identity/middleware.py), and optionally when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", default=3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=False)
SESSION_COOKIE_SAMESITE = "Lax"
# Pages carry the token themselves (<meta name="csrf-token">, htmx's hx-headers), so no script
# needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload token only consents to the browsers' preload list; nothing is listed until
    # the domain's owner submits it (hstspreload.org). Off where subdomains must stay on http.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers probe the health checks over plain HTTP on the node's own port.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Login lock-out (django-axes, ADR 0029): AXES_FAILURE_LIMIT failed passwords for one user name
# from one address lock that pair for AXES_COOLOFF_MINUTES; a success resets the count. The
# counts live in the database, so every web node shares them. The client address is
# REMOTE_ADDR unless AXES_PROXY_COUNT says how many trusted proxies put X-Forwarded-For in
# front of it (a client-set header must not choose the address that gets counted).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cyclecrm.identity.views.login.lockout_response"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
# Two-factor authentication (django-otp): TOTP apps show this issuer name; a code may be off by
# one 30-second step either way.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Cycle CRM")

# Content-Security-Policy (django-csp, docs/security.md "Web hardening"): only our own
# scripts, styles, fonts and requests; no inline script, no eval, no style="" attributes (values
# computed on the server go through data-* attributes and js/styles.js). `data:` images are
# Bootstrap's SVG icons inside its CSS. Responses that set their own policy keep it (the
# sandboxed mailing preview).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Style *attributes* only (not <style> elements, never scripts): the vendored SortableJS
        # sets them while a card is dragged on the pipeline board (ADR 0032).
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds the readiness probe waits for Redis to connect and to answer (/readyz): an unreachable
# or stalled Redis makes the probe answer 503 instead of hanging it.
REDIS_PROBE_TIMEOUT_SECONDS = float(os.environ.get("CYCLECRM_REDIS_PROBE_TIMEOUT", "1"))
# Background jobs: an SQLite queue file beside the database by default, Redis when configured
# (the multi-machine set-up). `cyclecrm worker` (make worker) runs the consumer; every job is
# recorded for the job page (cyclecrm/jobs, ADR 0011).
HUEY = {
    "name": "cyclecrm",
    "immediate": env_bool("HUEY_IMMEDIATE", default=False),
    "consumer": {"workers": env_int("HUEY_WORKERS", default=2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")}

# The cache holds computed KPI values (cyclecrm/analytics/kpis/cache.py, ADR 0020): a file cache
# in the data directory shared by the web and worker processes of one machine, Redis (shared by
# every node) when configured.
# Seconds a cache (and so rate-limit) call waits for Redis to connect or answer: a stalled Redis
# fails the request with an error instead of holding a server thread forever.
REDIS_TIMEOUT_SECONDS = float(os.environ.get("CYCLECRM_REDIS_TIMEOUT", "5"))


def redis_cache(url: str) -> dict:
    """The cache settings for a Redis at `url`, with bounded connect and read waits."""
    timeouts = {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": timeouts,
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
KPI_CACHE_SECONDS = env_int("KPI_CACHE_SECONDS", default=300)

CYCLECRM = {
    "DEFAULT_REGION": os.environ.get("CYCLECRM_DEFAULT_REGION", "US"),
    "DEFAULT_CURRENCY": os.environ.get("CYCLECRM_DEFAULT_CURRENCY", "USD"),
    "API_MAX_LIMIT": 200,
    "API_DEFAULT_LIMIT": 50,
    "UI_PAGE_SIZE": 25,
    # Rows per committed import chunk (docs/import.md; ADR 0021).
    "IMPORT_CHUNK_ROWS": int(os.environ.get("CYCLECRM_IMPORT_CHUNK_ROWS", "2000")),
    # Largest file the import pages and API accept (413 above it); see docs/import.md.
    "IMPORT_MAX_UPLOAD_MB": env_int("CYCLECRM_IMPORT_MAX_UPLOAD_MB", default=200),
    # Absolute address of this installation, for links in e-mails (see docs/email.md).
    "BASE_URL": os.environ.get("CYCLECRM_BASE_URL", "http://localhost:8000").rstrip("/"),
    # Referral links point at this capture form (its public key; empty: the first active form,
    # else the home page) with `?ref=<code>`. See docs/loyalty-referrals.md.
    "REFERRAL_FORM": os.environ.get("CYCLECRM_REFERRAL_FORM", ""),
    # Mailbox passwords are encrypted with this key, or one derived from SECRET_KEY (ADR 8).
    "MAILBOX_SECRET_KEY": os.environ.get("CYCLECRM_MAILBOX_SECRET_KEY", ""),
    # Webhook signing secrets likewise (a Fernet key; empty: derived from SECRET_KEY).
    "WEBHOOK_SECRET_KEY": os.environ.get("CYCLECRM_WEBHOOK_SECRET_KEY", ""),
    # E-mail campaigns: bounces come back to bounces+<token>@ this domain and one-click
    # unsubscribes by mail to unsubscribe+<token>@ it (empty: DEFAULT_FROM_EMAIL's domain).
    "MAILING_BOUNCE_DOMAIN": os.environ.get("CYCLECRM_MAILING_BOUNCE_DOMAIN", ""),
    # Open and click tracking of one-to-one e-mails sent from records (off by default;
    # sequence e-mails follow their step's `track` flag). See docs/email.md.
    "EMAIL_TRACK_ONE_TO_ONE": env_bool("CYCLECRM_EMAIL_TRACK_ONE_TO_ONE", default=False),
    "EMAIL_MAX_ATTACHMENT_BYTES": env_int(
        "CYCLECRM_EMAIL_MAX_ATTACHMENT_BYTES", default=10_000_000
    ),
    # Request rate limits, "<requests>/<seconds>" (empty: off), counted in the cache
    # (core/ratelimit.py; docs/security.md): per API token (per user for the browser session),
    # reads and writes apart; per client address on each group of public pages and endpoints,
    # tracking pixels and links apart (mail proxies fetch many at once from one address).
    "RATE_LIMITS": {
        "api_read": os.environ.get("CYCLECRM_RATE_API_READ", "1200/60"),
        "api_write": os.environ.get("CYCLECRM_RATE_API_WRITE", "300/60"),
        "public": os.environ.get("CYCLECRM_RATE_PUBLIC", "60/60"),
        "tracking": os.environ.get("CYCLECRM_RATE_TRACKING", "1200/60"),
    },
    # Reverse proxies in front of the web processes that append to X-Forwarded-For (nginx
    # with $proxy_add_x_forwarded_for): the client address is read that many hops from the right.
    "TRUSTED_PROXY_COUNT": env_int("CYCLECRM_TRUSTED_PROXY_COUNT", default=0),
    # How long ended job records are kept (failed ones longer, to be looked into).
    "JOBS_KEEP_DAYS": env_int("CYCLECRM_JOBS_KEEP_DAYS", default=7),
    "JOBS_KEEP_FAILED_DAYS": env_int("CYCLECRM_JOBS_KEEP_FAILED_DAYS", default=30),
    # This machine's name in job records (default: the host name); unique per machine.
    "NODE_NAME": os.environ.get("CYCLECRM_NODE_NAME", ""),
    # A running job's lease: its worker renews it every third of this; a job whose lease ran
    # out on another machine is taken over by a live worker (jobs/recovery.py; ADR 0036).
    "JOB_LEASE_SECONDS": env_int("CYCLECRM_JOB_LEASE_SECONDS", default=120),
    # Where `cyclecrm backup`/`restore` find pg_dump, pg_restore and psql (empty: the newest
    # /usr/lib/postgresql/<version>/bin, then the PATH). See docs/operations.md.
    "PG_BIN_DIR": os.environ.get("CYCLECRM_PG_BIN_DIR", ""),
}

# One JSON object per line (for log collectors) in production, readable text in development;
# both carry the request id (docs/operations.md, "Logs").
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))
