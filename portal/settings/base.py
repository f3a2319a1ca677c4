"""Settings shared by every environment; values come from the environment (12-factor).

The local, test and production modules import this one and only change what differs.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def dev_secret_key() -> str:
    """A per-checkout key kept under var/, so development never needs a secret in git."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or dev_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "apps.core.admin_site.StratumAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Institutional sign-in (apps.sso builds one provider app per organisation's IdP).
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "django_countries",
    "csp",
    # ours
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.changes",
    "apps.organisations",
    "apps.diseases",
    "apps.projects",
    "apps.documents",
    "apps.datasets",
    "apps.analyses",
    "apps.access",
    "apps.milestones",
    "apps.notifications",
    "apps.api",
    "apps.security",
    "apps.sso",
    "apps.search",
    "apps.seeding",
]

MIDDLEWARE = [
    "apps.core.middleware.ReadGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.api.problems.ApiProblemMiddleware",
    "apps.core.request_guards.RejectNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "apps.security.session_user.SessionAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.core.middleware.UserTimezoneMiddleware",
    "apps.security.middleware.SecurityHeadersMiddleware",
    "apps.security.middleware.SessionLifetimeMiddleware",
    "apps.security.middleware.MfaEnrolmentMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
                "csp.context_processors.nonce",
                "apps.core.context_processors.portal",
                "apps.notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker and beat read while the web process writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Cache and broker -----------------------------------------------------------------------
# Signed-in project pages from versioned fragments (apps.projects.page_cache); off only to
# measure the page without them.
PROJECT_PAGE_CACHE = env.bool("PROJECT_PAGE_CACHE", default=True)
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="stratum"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
else:
    # The embedded default: a cache shared by every local process and a broker needing no server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # Broadcast messages (worker control) would otherwise land in ./control.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: with acks_late a prefetched message would otherwise wait
# behind a slow e-mail and be redelivered after the visibility timeout.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if REDIS_URL:
    # Longer than the hard time limit (180 s) so that a running task is never handed to a
    # second worker; short enough that a killed worker's tasks come back within minutes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_BEAT_SCHEDULE: dict = {}
# Notifications and milestones (docs/celery.md): the outbox sweep re-queues what the broker lost;
# the daily jobs run on Europe/London wall-clock time (CELERY_TIMEZONE), so 06:00 stays 06:00.
from celery.schedules import crontab  # noqa: E402

# Every 15 s: with the 30 s claim lease (apps/notifications/outbox.py), a worker killed
# mid-batch has its e-mails queued again within 45 s of beat and any worker being alive.
CELERY_BEAT_SCHEDULE["notifications-sweep-outbox"] = {
    "task": "notifications.sweep_outbox",
    "schedule": timedelta(seconds=15),
}
CELERY_BEAT_SCHEDULE["milestones-daily-sweep"] = {
    "task": "milestones.daily_sweep",
    "schedule": crontab(hour=6, minute=0),
}
CELERY_BEAT_SCHEDULE["notifications-daily-digests"] = {
    "task": "notifications.send_digests",
    "schedule": crontab(hour=7, minute=0),
}
# Access grants: access already stops at valid_until; these record expiry and send notices.
CELERY_BEAT_SCHEDULE["access-grants-expire"] = {
    "task": "access.grants_expire",
    "schedule": timedelta(hours=1),
}
CELERY_BEAT_SCHEDULE["access-grants-expiry-notices"] = {
    "task": "access.grants_send_expiry_notices",
    "schedule": crontab(hour=6, minute=30),
}
# Temporary upload files (every location in apps/core/sweeps.py) abandoned by a process killed
# mid-upload or a client that never came back; removed once STRATUM_UPLOAD_TEMP_MAX_AGE old.
CELERY_BEAT_SCHEDULE["core-sweep-temporary-uploads"] = {
    "task": "core.sweep_temporary_uploads",
    "schedule": timedelta(minutes=15),
}
# The change feed: access ending by the clock reaches the holder's feed within one interval;
# webhooks push what the feed's triggers recorded (docs/api.md, "Change feed").
CHANGES_TIME_END_SECONDS = 60
WEBHOOK_DISPATCH_SECONDS = 30
CELERY_BEAT_SCHEDULE["changes-record-time-ends"] = {
    "task": "changes.record_time_ends",
    "schedule": timedelta(seconds=CHANGES_TIME_END_SECONDS),
}
CELERY_BEAT_SCHEDULE["api-webhooks-dispatch"] = {
    "task": "apps.api.tasks.webhooks_dispatch",
    "schedule": timedelta(seconds=WEBHOOK_DISPATCH_SECONDS),
}
# Large resumable uploads whose verification task was lost or whose worker died (docs/files.md).
CELERY_BEAT_SCHEDULE["datasets-requeue-verifications"] = {
    "task": "datasets.requeue_verifications",
    "schedule": timedelta(minutes=15),
}
# Files left by a process killed between storing an upload and committing its row.
CELERY_BEAT_SCHEDULE["datasets-sweep-orphan-files"] = {
    "task": "datasets.sweep_orphan_files",
    "schedule": crontab(hour=3, minute=30),
}

# --- Auth and allauth -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "apps.accounts.forms.SignupExtraForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Stratum] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Institutional sign-in (apps.sso): the adapter yields one allauth app per enabled identity
# provider and trusts an IdP's addresses only within its organisation's domains, where an
# existing account with that verified address is connected (and only there).
SOCIALACCOUNT_ADAPTER = "apps.sso.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
# Encrypts OIDC client secrets at rest (a Fernet key); derived from SECRET_KEY when unset.
SSO_SECRET_KEY = env.str("SSO_SECRET_KEY", default="")
MFA_TOTP_ISSUER = "Stratum"
# Security e-mails (password, e-mail and two-factor changes) from allauth; apps.security adds
# new-device sign-ins and token creation.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Staff, organisation admins, committee members and coordinators must enrol a second factor.
STRATUM_MFA_ENFORCED = env.bool("MFA_ENFORCED", default=True)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=8 * 3600)
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=7 * 24 * 3600)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English"))]
TIME_ZONE = "Europe/London"
USE_I18N = True
# Stratum's words for allauth's pages (sentence case, no "Please confirm that X is an email
# address for user X"): locale/en_GB/LC_MESSAGES/django.po, compiled beside it.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
# en_GB's own formats would win over the three above ("11:04 p.m."): ours are in portal/formats.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    # Presigned URLs (multipart parts, downloads) signed with SigV4, which every S3-compatible
    # service accepts and which carries its expiry in the URL (X-Amz-Expires).
    AWS_S3_SIGNATURE_VERSION = "s3v4"
# Protected files: uploads stream to disk past this size and are limited in the upload handler.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "uploads-tmp")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
STRATUM_UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=2 * 1024**3)
# Uploads straight to object storage (S3 multipart, apps/core/multipart.py): the size limit of
# one file, the part size (grown past 10,000 parts), and how long a presigned URL lasts.
STRATUM_MULTIPART_MAX_BYTES = env.int("MULTIPART_UPLOAD_MAX_BYTES", default=200 * 1024**3)
STRATUM_MULTIPART_PART_BYTES = env.int("MULTIPART_PART_BYTES", default=64 * 1024**2)
STRATUM_PRESIGN_SECONDS = env.int("PRESIGN_SECONDS", default=900)
# Completing an upload reads the whole file once for its SHA-256. Up to this size that happens
# in the request (201 with the file: 1 GiB is ~10 s from a store giving 100 MiB/s, well inside
# gunicorn's and nginx's timeouts); a larger file is verified by a Celery worker (202, the client
# polls the upload), so no proxy or worker timeout can cut a 20 GiB completion.
STRATUM_MULTIPART_VERIFY_INLINE_BYTES = env.int("MULTIPART_VERIFY_INLINE_BYTES", default=1024**3)
# On local file storage the same multipart protocol is served by Django: parts of open uploads
# wait here (one folder per upload) until completed or aborted (apps/core/multipart.py).
STRATUM_MULTIPART_LOCAL_DIR = env.str(
    "MULTIPART_LOCAL_DIR", default=str(VAR_DIR / "multipart-parts")
)
# Multipart uploads open in the bucket this long (seconds since they started) with no live row
# are aborted by the temporary-upload sweep; tracked ones go after UPLOAD_TEMP_MAX_AGE idle.
STRATUM_MULTIPART_ORPHAN_AGE = env.int("MULTIPART_ORPHAN_AGE", default=24 * 3600)
# A temporary upload file untouched this long (seconds) belongs to a dead or abandoned upload: a
# live one rewrites it with every chunk. The beat sweep (every 15 minutes) removes it.
STRATUM_UPLOAD_TEMP_MAX_AGE = env.int("UPLOAD_TEMP_MAX_AGE", default=2 * 3600)
# Documents attached to an access request (ethics letters, proposals): PDF and Office only.
STRATUM_REQUEST_DOCUMENT_MAX_BYTES = env.int("REQUEST_DOCUMENT_MAX_BYTES", default=20 * 1024**2)
# Set to the nginx internal location (e.g. "/protected/") to serve downloads via X-Accel-Redirect.
STRATUM_X_ACCEL_PREFIX = env.str("X_ACCEL_REDIRECT_PREFIX", default="")
STRATUM_GRANT_DEFAULT_DAYS = 365
# GA4GH Passport visas (#18, apps/access/visas.py): a PEM RSA private key; without one, a
# development key is generated once into var/ (production refuses instead). One hour: the
# longest a revocation may take to reach a relying system that honours a visa until it expires.
STRATUM_VISA_SIGNING_KEY = env.str("VISA_SIGNING_KEY", default="")
STRATUM_VISA_DEV_KEY = True
STRATUM_VISA_DEV_KEY_FILE = str(VAR_DIR / "visa-dev-key.pem")
STRATUM_VISA_LIFETIME_SECONDS = env.int("VISA_LIFETIME_SECONDS", default=3600)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stratum <no-reply@stratum.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.TokenScopePermission"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.SyncCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "apps.api.problems.problem_exception_handler",
    # Per token ("token") and per client address ("ip"), one Redis round trip for both.
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.throttling.ApiRateThrottle"],
    # Per token and per client address; a deployment tunes them (and `make bench` lifts them,
    # since it measures capacity from one address with one token, not the throttle).
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_THROTTLE_TOKEN", default="1200/min"),
        "ip": env.str("API_THROTTLE_IP", default="600/min"),
    },
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The schema's introduction: what Swagger UI at /api/docs/ opens with. The guide has the detail.
API_INTRODUCTION = """\
Stratum's REST API lets partner systems (LIMS, trial management, data catalogues) read and
change what their people may see in the consortium portal: organisations, disease areas,
projects with their partners, members and biomarkers, datasets and their files, protocols and
their versions, milestones, deliverables, access requests and grants.

**Start with the [API guide](/api/guide/)**: authentication, pagination, keeping in step with
the change feed, ETags, webhooks and their signature check, the error format. A small
[sync client](/api/guide/sync_client.py) (Python standard library only) shows a full sync and
then replays the feed.

- **Authentication**: `Authorization: Bearer strat_…`, a token made at
  [/account/tokens/](/account/tokens/) with scope `read` or `write`. Without a token the API
  shows the public catalogue. A bad, expired or revoked token answers 401; a missing scope 403.
- **What you see** is exactly what the token's person (or organisation) may see in the portal:
  anything else answers 404, as if it did not exist.
- **Lists** use cursor pagination (`cursor`, `page_size` up to 200) and accept
  `updated_since`; deletions and lost access reach you through `/api/v1/changes/`.
- **Errors** are RFC 9457 problem details (`application/problem+json`), with `errors` per
  field on a 400. Throttled requests answer 429 with `Retry-After`.
"""

SPECTACULAR_SETTINGS = {
    "TITLE": "Stratum API",
    "DESCRIPTION": API_INTRODUCTION,
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Without deep links an operation's path is plain text, not a link nested in its toggle
    # button (axe: nested-interactive, target-size; WCAG 4.1.2 and 2.5.8).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "apps.organisations.models.OrganisationKind",
        "BiomarkerKindEnum": "apps.projects.models.Biomarker.Kind",
        "PartnerRoleEnum": "apps.projects.models.PartnerRole",
        "MembershipRoleEnum": "apps.projects.models.MembershipRole",
        "CheckOutcomeEnum": "apps.access.models.CheckOutcome",
        "DatasetStatusEnum": "apps.datasets.models.DatasetStatus",
        # Every shared kind's versions have one life cycle (draft, approved, superseded).
        "VersionStatusEnum": "apps.core.shared_items.VersionStatus",
    },
}

# --- Security headers -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with one statement composed once (the same table and rows).
SESSION_ENGINE = "apps.security.session_store"
SESSION_COOKIE_AGE = int(timedelta(hours=8).total_seconds())
# Saved when changed only: apps.security.middleware.SessionLifetimeMiddleware touches the
# session (and so the cookie's expiry) once a minute, instead of an UPDATE on every page.
SESSION_SAVE_EVERY_REQUEST = False
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        # Violations are logged by apps.security.views.csp_report (Reporting-Endpoints names
        # "csp" for browsers that use report-to).
        "report-uri": "/security/csp-report/",
        "report-to": "csp",
    }
}

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {"()": "apps.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
