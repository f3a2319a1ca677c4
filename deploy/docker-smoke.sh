#!/usr/bin/env bash
# The real image: build deploy/Dockerfile (the build itself fails unless every installed version
# is uv.lock's), check the lock again in the built image, run its `migrate` role and then `web`
# against PostgreSQL and Redis on this machine (host network), then the nginx image in front of
# it; pass when /readyz answers 200 directly and through nginx, and nginx serves a static file.
# Not part of `make test`: it needs a Docker daemon, and base images from a registry or from
# deploy/local-base-image.sh (closed networks). Where no daemon answers, or the build cannot
# get its base images, it says which and exits 2; deploy/image-rehearsal.sh then replays the
# same install steps without Docker.
#
#   bash deploy/docker-smoke.sh
#   # closed network, no registry:
#   bash deploy/local-base-image.sh
#   SMOKE_PYTHON_IMAGE=stratum-local/python:3.11-bookworm \
#     SMOKE_NGINX_IMAGE=stratum-local/nginx:1.22-bookworm bash deploy/docker-smoke.sh
#
# The build runs with --network host, so pip inside it reaches PyPI the way this machine does
# (its DNS, its proxy).
#
# Environment (all optional):
#   SMOKE_IMAGE         default stratum:smoke (the nginx image: SMOKE_IMAGE with -nginx added)
#   SMOKE_PYTHON_IMAGE  the Dockerfile's PYTHON_IMAGE (default: the Dockerfile's)
#   SMOKE_NGINX_IMAGE   the Dockerfile's NGINX_IMAGE (default: the Dockerfile's)
#   SMOKE_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/stratum_docker_smoke (afresh)
#   SMOKE_REDIS_URL     default redis://127.0.0.1:6379/4
#   SMOKE_PORT          default 18700 (gunicorn); nginx listens on SMOKE_PORT + 1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${SMOKE_IMAGE:-stratum:smoke}"
NGINX_IMAGE="${IMAGE%%:*}-nginx:${IMAGE#*:}"
DB_URL="${SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stratum_docker_smoke}"
REDIS_URL="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/4}"
PORT="${SMOKE_PORT:-18700}"
ADMIN_DB_URL="${DB_URL%/*}/postgres"
DB_NAME="${DB_URL##*/}"
CONTAINER=""
NGINX_CONTAINER=""
BUILD_ARGS=(--network host)
[ -n "${SMOKE_PYTHON_IMAGE:-}" ] && BUILD_ARGS+=(--build-arg "PYTHON_IMAGE=$SMOKE_PYTHON_IMAGE")
[ -n "${SMOKE_NGINX_IMAGE:-}" ] && BUILD_ARGS+=(--build-arg "NGINX_IMAGE=$SMOKE_NGINX_IMAGE")

log() { printf 'docker-smoke: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
  local status=$?
  [ -n "$CONTAINER" ] && docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  [ -n "$NGINX_CONTAINER" ] && docker rm -f "$NGINX_CONTAINER" >/dev/null 2>&1 || true
  psql "$ADMIN_DB_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  log "no Docker daemon answers: $({ docker info 2>&1 || true; } | grep -m1 -i 'cannot\|error')"
  log "run deploy/image-rehearsal.sh instead"
  exit 2
fi
cd "$ROOT"
start=$(date +%s)
docker build -f deploy/Dockerfile "${BUILD_ARGS[@]}" -t "$IMAGE" . || {
  log "the build failed; if it could not pull its base images, the registry is out of reach"
  log "(deploy/local-base-image.sh builds them from Debian's mirror: see its header)"
  exit 2
}
docker build -f deploy/Dockerfile "${BUILD_ARGS[@]}" --target nginx -t "$NGINX_IMAGE" . >/dev/null
log "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')) and $NGINX_IMAGE in $(($(date +%s) - start)) s"

# Every installed distribution is the lock's version.
lock="$(docker run --rm --entrypoint python "$IMAGE" deploy/lock_check.py requirements/base.txt)" \
  || die "$lock"
log "$lock"

psql "$ADMIN_DB_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1
psql "$ADMIN_DB_URL" -qX -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
ENV_ARGS=(--network host -e "DATABASE_URL=$DB_URL" -e "REDIS_URL=$REDIS_URL" -e "PORT=$PORT"
  -e "SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
  -e "ALLOWED_HOSTS=127.0.0.1,localhost" -e "CACHE_KEY_PREFIX=stratum-docker-smoke")
docker run --rm "${ENV_ARGS[@]}" "$IMAGE" migrate || die "the migrate role failed"
CONTAINER="$(docker run -d "${ENV_ARGS[@]}" "$IMAGE" web)"
ready=""
for _ in $(seq 1 120); do
  if body="$(curl -fsS "http://127.0.0.1:$PORT/readyz" 2>/dev/null)"; then
    ready=1
    log "/readyz 200 $body"
    break
  fi
  [ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER")" = true ] || break
  sleep 0.5
done
[ -n "$ready" ] || { docker logs --tail 30 "$CONTAINER" >&2; die "/readyz never answered 200"; }
if docker logs "$CONTAINER" 2>&1 | grep -F '[ERROR]' >&2; then
  die "gunicorn logged an error at start"
fi

# nginx in front: its template step renders the server block from these variables.
NGINX_PORT=$((PORT + 1))
NGINX_CONTAINER="$(docker run -d --network host -e "NGINX_HTTP_PORT=$NGINX_PORT" \
  -e "NGINX_UPSTREAM=127.0.0.1:$PORT" "$NGINX_IMAGE")"
static="$(docker run --rm --entrypoint sh "$IMAGE" -c 'cd staticfiles && find . -name "*.css" | head -1')"
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$NGINX_PORT/nginx-healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
body="$(curl -fsS "http://127.0.0.1:$NGINX_PORT/readyz")" \
  || { docker logs --tail 30 "$NGINX_CONTAINER" >&2; die "/readyz through nginx failed"; }
log "nginx: /readyz 200 $body"
curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/static/${static#./}" \
  || die "nginx did not serve /static/${static#./}"
log "nginx: /static/${static#./} 200"
log "PASS in $(($(date +%s) - start)) s"
