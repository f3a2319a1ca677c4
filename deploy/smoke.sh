#!/usr/bin/env bash
# Production smoke test on this machine, no Docker: Debian's nginx on loopback (HTTP + TLS with
# a throwaway self-signed certificate) in front of gunicorn with portal.settings.production on
# PostgreSQL and Redis, a Celery worker, Celery beat and an SMTP sink. deploy/smoke_check.py
# then checks what an operator would and prints a PASS/FAIL table. Everything lives in a temp
# directory and is stopped and removed on exit.
#
#   make smoke            (or: bash deploy/smoke.sh)
#
# Environment (all optional):
#   SMOKE_DATABASE_URL    default postgres://postgres@127.0.0.1:5432/stratum_smoke (dropped and
#                         created afresh; the role must be allowed to CREATE DATABASE)
#   SMOKE_REDIS_URL       default redis://127.0.0.1:6379/3 (flushed at start)
#   SMOKE_PORT_BASE       default 18400: gunicorn +1, SMTP +25, nginx HTTP +80, nginx TLS +43
#   SMOKE_KEEP=1          keep the temp directory and database for inspection
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
VENV_BIN="$(dirname "$PY")"
[ -x "$PY" ] || { echo "smoke: $PY not found; run 'make install-dev' first" >&2; exit 2; }

SMOKE_DATABASE_URL="${SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stratum_smoke}"
SMOKE_REDIS_URL="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/3}"
BASE="${SMOKE_PORT_BASE:-18400}"
APP_PORT=$((BASE + 1))
SMTP_PORT=$((BASE + 25))
HTTP_PORT=$((BASE + 80))
HTTPS_PORT=$((BASE + 43))

log() { printf 'smoke: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PIDS=()
WORK="$(mktemp -d /tmp/stratum-smoke.XXXXXX)"
# nginx's workers drop to an unprivileged user: they must be able to read static and media.
chmod 0755 "$WORK"
DB_NAME="${SMOKE_DATABASE_URL##*/}"
DB_NAME="${DB_NAME%%\?*}"
ADMIN_DB_URL="${SMOKE_DATABASE_URL%/*}/postgres"

cleanup() {
  local status=$? pid index
  # Newest first: nginx goes before gunicorn, so no idle upstream connection holds a worker.
  for ((index = ${#PIDS[@]} - 1; index >= 0; index--)); do
    kill -TERM "${PIDS[index]}" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then
    log "kept $WORK and database $DB_NAME"
  else
    psql "$ADMIN_DB_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites ---------------------------------------------------------------------------
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
  log "nginx is absent: installing Debian's nginx-light"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq nginx-light >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
fi
for tool in psql openssl curl; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
pg_isready -d "$ADMIN_DB_URL" -q || die "PostgreSQL does not answer at ${ADMIN_DB_URL%/*}"
"$PY" - "$SMOKE_REDIS_URL" <<'EOF' || die "Redis does not answer at $SMOKE_REDIS_URL"
import sys, redis
redis.Redis.from_url(sys.argv[1]).ping()
EOF
for port in "$APP_PORT" "$SMTP_PORT" "$HTTP_PORT" "$HTTPS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use; set SMOKE_PORT_BASE"
  fi
done

# --- a fresh database and Redis db -----------------------------------------------------------
log "fresh database $DB_NAME, flushed Redis ${SMOKE_REDIS_URL}"
psql "$ADMIN_DB_URL" -qX -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
"$PY" - "$SMOKE_REDIS_URL" <<'EOF'
import sys, redis
redis.Redis.from_url(sys.argv[1]).flushdb()
EOF

# --- the production environment --------------------------------------------------------------
mkdir -p "$WORK/var" "$WORK/media" "$WORK/static" "$WORK/nginx/logs" "$WORK/tls"
chmod 0755 "$WORK/media" "$WORK/static"
export DJANGO_SETTINGS_MODULE=portal.settings.production
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SECRET_KEY
export ALLOWED_HOSTS="localhost,127.0.0.1"
export CSRF_TRUSTED_ORIGINS="https://localhost:$HTTPS_PORT"
export SITE_URL="https://localhost:$HTTPS_PORT"
export DATABASE_URL="$SMOKE_DATABASE_URL"
export REDIS_URL="$SMOKE_REDIS_URL"
export CACHE_KEY_PREFIX="stratum-smoke"
export EMAIL_URL="smtp://127.0.0.1:$SMTP_PORT"
export DEFAULT_FROM_EMAIL="Stratum smoke <smoke@stratum.invalid>"
export VAR_DIR="$WORK/var"
export MEDIA_ROOT="$WORK/media"
export STATIC_ROOT="$WORK/static"
export X_ACCEL_REDIRECT_PREFIX="/protected/"
export TRUSTED_PROXIES="127.0.0.1/32,::1/128"
export FORWARDED_ALLOW_IPS="127.0.0.1,::1"
export LOG_FORMAT=json
export GUNICORN_WORKERS=2
export GUNICORN_THREADS=2
export GUNICORN_GRACEFUL_TIMEOUT=5
export PYTHONUNBUFFERED=1
export SMOKE_WORK="$WORK" SMOKE_HTTP="http://127.0.0.1:$HTTP_PORT" \
  SMOKE_HTTPS="https://localhost:$HTTPS_PORT" SMOKE_APP="http://127.0.0.1:$APP_PORT"

log "migrate, collectstatic, check --deploy"
"$PY" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1 || { tail -40 "$WORK/migrate.log"; die "migrate failed"; }
"$PY" manage.py collectstatic --noinput --verbosity 0
"$PY" manage.py check --deploy --fail-level WARNING >"$WORK/check.log" 2>&1 \
  || { cat "$WORK/check.log"; die "check --deploy reported problems"; }
# A periodic task for beat to run every few seconds: proves beat -> broker -> worker.
"$PY" manage.py shell -c '
import json
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=3, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.update_or_create(
    name="smoke: beat ping", defaults={"interval": every, "task": "core.ping", "args": json.dumps(["smoke-beat"])}
)'

# --- processes -------------------------------------------------------------------------------
start() {  # start NAME COMMAND...: background, logs in $WORK/NAME.log, pid remembered
  local name="$1"; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
  log "started $name (pid $!)"
}

start smtp "$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$WORK/mail"
start gunicorn "$VENV_BIN/gunicorn" --config deploy/gunicorn.conf.py --bind "127.0.0.1:$APP_PORT" \
  --pid "$WORK/gunicorn.pid" portal.wsgi:application
start worker "$VENV_BIN/celery" --app portal worker --loglevel INFO --concurrency 2 \
  --hostname "smoke-worker@%h" --without-mingle --without-gossip
start beat "$VENV_BIN/celery" --app portal beat --loglevel INFO \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler --pidfile "$WORK/beat.pid"

log "self-signed certificate for the TLS listener"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$WORK/tls/tls.key" -out "$WORK/tls/tls.crt" >/dev/null 2>&1

log "nginx from deploy/nginx/stratum.conf"
NGINX_SERVER_NAME="localhost 127.0.0.1" \
NGINX_HTTP_PORT="127.0.0.1:$HTTP_PORT" \
NGINX_HTTPS_PORT="127.0.0.1:$HTTPS_PORT" \
NGINX_TLS_INCLUDE="$WORK/nginx/tls.snippet" \
NGINX_TLS_CERTIFICATE="$WORK/tls/tls.crt" \
NGINX_TLS_CERTIFICATE_KEY="$WORK/tls/tls.key" \
NGINX_UPSTREAM="127.0.0.1:$APP_PORT" \
NGINX_STATIC_ROOT="$WORK/static" \
NGINX_MEDIA_ROOT="$WORK/media" \
NGINX_TRUSTED_PROXY_CIDR="127.0.0.1/32" \
NGINX_CLIENT_MAX_BODY_SIZE="2064m" \
"$PY" deploy/render_nginx.py deploy/nginx "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $WORK/nginx/client_body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    include $WORK/nginx/stratum.conf;
}
EOF
"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "daemon off;" 2>"$WORK/nginx-t.log" \
  || { cat "$WORK/nginx-t.log"; die "nginx -t rejected the configuration"; }
start nginx "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g "daemon off;"

# --- wait, then check ------------------------------------------------------------------------
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null && break
  sleep 0.5
done

set +e
"$PY" deploy/smoke_check.py
result=$?
set -e
if [ "$result" != 0 ]; then
  for name in gunicorn worker beat nginx smtp; do
    log "--- last lines of $name.log"
    tail -n 15 "$WORK/$name.log" >&2 || true
  done
  tail -n 15 "$WORK/nginx/logs/error.log" >&2 || true
fi
exit "$result"
