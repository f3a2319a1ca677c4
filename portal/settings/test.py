"""pytest: the real PostgreSQL and Redis when they answer (tests/conftest.py decides), fast hashing."""

from .base import *  # noqa: F403
from .base import CELERY_BEAT_SCHEDULE, VAR_DIR, env  # noqa: F401

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
MEDIA_ROOT = VAR_DIR / "test-media"
# Serve static files from the source folders: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ALLOWED_HOSTS = ["*"]
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
# Other apps' tests use personas without authenticators; tests/security turns this back on.
STRATUM_MFA_ENFORCED = False
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"token": "100000/min", "ip": "100000/min"}

# --- Which database and broker the suite runs against ---------------------------------------
# DATABASE_URL / REDIS_URL win when set. Otherwise use PostgreSQL and Redis on 127.0.0.1 when
# they answer, else SQLite and the embedded broker; REQUIRE_SERVICES=1 makes "missing" fatal.
import socket  # noqa: E402
import sys  # noqa: E402

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

# Parallel checkouts on one machine each name their own database and Redis server, so two
# suites never drop each other's test database or flush each other's queues.
_TEST_DB_NAME = env.str("TEST_DB_NAME", default="stratum")
_TEST_REDIS_PORT = env.int("TEST_REDIS_PORT", default=6379)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


_require = env.bool("REQUIRE_SERVICES", default=False)
if not env.str("DATABASE_URL", default=""):
    if _answers(5432):
        DATABASES = {
            "default": env.db_url_config(f"postgres://postgres@127.0.0.1:5432/{_TEST_DB_NAME}")
        }
    elif _require:
        raise ImproperlyConfigured("REQUIRE_SERVICES=1 but PostgreSQL does not answer on 5432.")
if not env.str("REDIS_URL", default=""):
    if _answers(_TEST_REDIS_PORT):
        # Two Redis databases per xdist worker (broker, cache), so a worker spares the other.
        _worker = int(env.str("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw") or 0)
        REDIS_URL = f"redis://127.0.0.1:{_TEST_REDIS_PORT}/{15 - 2 * (_worker % 4)}"
    elif _require:
        raise ImproperlyConfigured(
            f"REQUIRE_SERVICES=1 but Redis does not answer on {_TEST_REDIS_PORT}."
        )
if REDIS_URL:
    # The cache lives in the neighbouring database: tests clear the cache (FLUSHDB), which
    # must never empty the broker's queues under a running worker.
    _base, _, _db = REDIS_URL.rpartition("/")
    _cache_db = int(_db) - 1 if _db.isdigit() and int(_db) > 0 else 1
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.ResilientRedisCache",
            "LOCATION": f"{_base}/{_cache_db}",
            "KEY_PREFIX": "stratum-test",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
else:
    # No Redis: the embedded file cache, one folder per xdist worker. Every test clears the
    # cache (tests/conftest.py), which must not empty another worker's in the middle of a test
    # (a throttle's counters, say); a test's own subprocesses inherit the worker's name.
    _worker_name = env.str("PYTEST_XDIST_WORKER", default="main")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / f"test-cache-{_worker_name}"),
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if not getattr(sys, "_stratum_services_printed", False):
    sys._stratum_services_printed = True
    print(
        f"stratum tests: database={'PostgreSQL' if IS_POSTGRES else 'SQLite'} "
        f"broker={'Redis' if REDIS_URL else 'embedded filesystem'}",
        file=sys.stderr,
    )

# --- Institutional sign-in tests (tests/sso) ------------------------------------------------
# django-oauth-toolkit plays an organisation's OpenID Connect provider: installed here only
# (a dev dependency), switched on per test by tests/sso/idp.py with its own RSA key and URLs.
INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]  # noqa: F405
# RFC 9700 behaviour for the test IdP (django-oauth-toolkit 3 warns until 4.0 makes it the
# default); only its plain-http redirect URIs stay, because the live server speaks http.
OAUTH2_PROVIDER = {
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

# GA4GH visas (#18): a key generated in memory per test process, never written to var/.
STRATUM_VISA_DEV_KEY_FILE = ""
