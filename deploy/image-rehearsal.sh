#!/usr/bin/env bash
# The Docker build without Docker: replays deploy/Dockerfile's install steps in clean virtual
# environments of this machine's Python 3.11 (python:3.11-slim's minor version), then runs the
# result as the image would (production settings, the entrypoint's `migrate` and `web` roles)
# against PostgreSQL and Redis here, and passes when /readyz answers 200 and every installed
# version is the lock's. For machines where a Docker daemon or the registry is out of reach;
# with both, deploy/docker-smoke.sh builds and runs the real image.
#
#   bash deploy/image-rehearsal.sh
#
# It builds the committed tree (git archive HEAD), as a clean checkout would. The pip commands
# are read from the Dockerfile itself (the RUN lines with `pip wheel` and
# `pip install --no-index`, /wheels pointed at a temp directory), so a change there is
# rehearsed too. Not replayed: apt-get (Debian's build-essential, libpq-dev, postgresql-client
# and tini are assumed present here), the stratum user and chown, HEALTHCHECK.
#
# Environment (all optional):
#   REHEARSAL_PYTHON        default python3.11
#   REHEARSAL_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/stratum_rehearsal
#                           (dropped and created afresh)
#   REHEARSAL_REDIS_URL     default redis://127.0.0.1:6379/5
#   REHEARSAL_PORT          default 18600
#   REHEARSAL_KEEP=1        keep the temp directory and database
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${REHEARSAL_PYTHON:-python3.11}"
DB_URL="${REHEARSAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stratum_rehearsal}"
REDIS_URL="${REHEARSAL_REDIS_URL:-redis://127.0.0.1:6379/5}"
PORT="${REHEARSAL_PORT:-18600}"
WORK="$(mktemp -d /tmp/stratum-rehearsal.XXXXXX)"
ADMIN_DB_URL="${DB_URL%/*}/postgres"
DB_NAME="${DB_URL##*/}"
WEB_PID=""

log() { printf 'rehearsal: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

cleanup() {
  local status=$?
  if [ -n "$WEB_PID" ]; then
    kill -TERM "$WEB_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$WEB_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$WEB_PID" 2>/dev/null || true
  fi
  if [ "${REHEARSAL_KEEP:-0}" = 1 ]; then
    log "kept $WORK and database $DB_NAME"
  else
    psql "$ADMIN_DB_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT

# One logical line per Dockerfile instruction (continuations joined).
dockerfile_run() {
  sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$ROOT/deploy/Dockerfile" | grep -E "^RUN .*$1" | sed 's/^RUN //'
}
BUILD_CMD="$(dockerfile_run 'pip wheel')"
INSTALL_CMD="$(dockerfile_run 'pip install --no-index')"
[ -n "$BUILD_CMD" ] && [ -n "$INSTALL_CMD" ] || die "the Dockerfile has no pip wheel / pip install RUN line"
BUILD_CMD="${BUILD_CMD//\/wheels/$WORK/wheels}"
INSTALL_CMD="${INSTALL_CMD//\/wheels/$WORK/wheels}"

log "python: $("$PYTHON" --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)

# --- builder stage: only what the Dockerfile has copied at that point ----------------------
mkdir -p "$WORK/src/requirements" "$WORK/app"
cp "$ROOT/pyproject.toml" "$ROOT/README.md" "$WORK/src/"
cp "$ROOT/requirements/base.txt" "$WORK/src/requirements/"
"$PYTHON" -m venv "$WORK/builder"
log "builder: $BUILD_CMD"
(cd "$WORK/src" && PATH="$WORK/builder/bin:$PATH" PIP_DISABLE_PIP_VERSION_CHECK=1 \
  bash -euo pipefail -c "$BUILD_CMD") >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log" >&2; die "the builder stage's pip wheel failed"; }
log "builder: $(ls "$WORK/wheels" | wc -l) wheels"

# --- runtime stage ---------------------------------------------------------------------------
"$PYTHON" -m venv "$WORK/runtime"
log "runtime: $INSTALL_CMD"
PATH="$WORK/runtime/bin:$PATH" PIP_DISABLE_PIP_VERSION_CHECK=1 \
  bash -euo pipefail -c "$INSTALL_CMD" >"$WORK/install.log" 2>&1 \
  || { tail -30 "$WORK/install.log" >&2; die "the runtime stage's pip install failed"; }

# COPY . /app: the committed tree, less what .dockerignore keeps out of the build context.
git -C "$ROOT" archive HEAD | tar -x -C "$WORK/app"
grep -vE '^\s*(#|!|$)' "$ROOT/.dockerignore" | while read -r pattern; do
  (cd "$WORK/app" && shopt -s globstar nullglob && rm -rf -- $pattern)
done

# The image's ENV, with its paths under the temp directory.
export PATH="$WORK/runtime/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
  DJANGO_SETTINGS_MODULE=portal.settings.production LOG_FORMAT=json \
  VAR_DIR="$WORK/app/var" STATIC_ROOT="$WORK/app/staticfiles" MEDIA_ROOT="$WORK/app/media" \
  X_ACCEL_REDIRECT_PREFIX=/protected/ PORT="$PORT"
cd "$WORK/app"
# The Dockerfile's collectstatic step, with its throwaway values.
SECRET_KEY=collectstatic-only-not-a-secret-collectstatic-only-not-a-secret \
  ALLOWED_HOSTS=localhost DATABASE_URL="sqlite:///$WORK/collectstatic.sqlite3" \
  python manage.py collectstatic --noinput --verbosity 0 || die "collectstatic failed"
mkdir -p var media
log "runtime: $(find staticfiles -type f | wc -l) static files collected"

# Every installed distribution is the lock's version (requirements/base.txt, markers applied).
lock="$(python deploy/lock_check.py "$ROOT/requirements/base.txt")" || die "$lock"
log "runtime: $lock"

# --- run it as the image runs: the entrypoint's roles, against the real services -----------
psql "$ADMIN_DB_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1
psql "$ADMIN_DB_URL" -qX -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
export DATABASE_URL="$DB_URL" REDIS_URL="$REDIS_URL" ALLOWED_HOSTS=127.0.0.1,localhost \
  SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
  GUNICORN_WORKERS=2 GUNICORN_THREADS=2 CACHE_KEY_PREFIX=stratum-rehearsal
ENTRYPOINT="$WORK/docker-entrypoint.sh"
sed "s#^cd /app\$#cd \"$WORK/app\"#" deploy/docker-entrypoint.sh >"$ENTRYPOINT"
sh "$ENTRYPOINT" migrate >"$WORK/migrate.log" 2>&1 \
  || { tail -30 "$WORK/migrate.log" >&2; die "the entrypoint's migrate role failed"; }
log "migrate: $(grep -c 'Applying' "$WORK/migrate.log") migrations applied; check --deploy: $(tail -1 "$WORK/migrate.log")"
sh "$ENTRYPOINT" web >"$WORK/web.log" 2>&1 &
WEB_PID=$!
for _ in $(seq 1 240); do
  if body="$(curl -fsS "http://127.0.0.1:$PORT/readyz" 2>/dev/null)"; then
    log "web: /readyz 200 $body"
    log "PASS in $(($(date +%s) - start)) s"
    exit 0
  fi
  kill -0 "$WEB_PID" 2>/dev/null || break
  sleep 0.5
done
tail -30 "$WORK/web.log" >&2
die "/readyz never answered 200"
