"""Production: secrets required from the environment, every `check --deploy` warning answered."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, IS_POSTGRES, LOG_FORMAT, LOGGING, env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

if IS_POSTGRES and env.bool("DB_POOL", default=True):
    # psycopg 3 pool inside each process; persistent connections are incompatible with it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=2),
        "max_size": env.int("DB_POOL_MAX", default=10),
        "timeout": 10,
    }

STORAGES = {**STORAGES}  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# nginx / the ingress in front: trust its X-Real-IP (audit IPs) only from these peers.
STRATUM_TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(1, "apps.core.middleware.TrustedProxyClientIpMiddleware")

if IS_POSTGRES:
    # The web process answers short OLTP statements. Starting parallel workers cost ~40 ms of a
    # 60 ms visibility statement (the scan itself took 1 ms), and JIT compilation only pays off
    # on long analytical queries; a worker or report process can set DB_SESSION_OPTIONS="".
    _session_options = env.str(
        "DB_SESSION_OPTIONS", default="-c max_parallel_workers_per_gather=0 -c jit=off"
    )
    if _session_options:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = _session_options

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"

LOGGING = {**LOGGING, "handlers": {**LOGGING["handlers"]}}
LOGGING["handlers"]["console"] = {
    **LOGGING["handlers"]["console"],
    "formatter": env.str("LOG_FORMAT", default="json"),
}
_ = LOG_FORMAT

# GA4GH visas (#18): production signs only with VISA_SIGNING_KEY (no generated key).
STRATUM_VISA_DEV_KEY = False
