#!/usr/bin/env bash
# The real image: build deploy/Dockerfile, run its `migrate` role and then `web` against
# PostgreSQL and Redis on this machine (host network), and pass when /readyz answers 200 and the
# image's installed versions are the lock's. Not part of `make test`: the build pulls
# python:3.11-slim-bookworm and the docker/dockerfile frontend from Docker Hub. Where no Docker
# daemon or registry answers, it says which and exits 2; deploy/image-rehearsal.sh then replays
# the same install steps without Docker.
#
#   bash deploy/docker-smoke.sh
#
# Environment (all optional):
#   SMOKE_IMAGE         default stratum:smoke
#   SMOKE_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/stratum_docker_smoke (afresh)
#   SMOKE_REDIS_URL     default redis://127.0.0.1:6379/4
#   SMOKE_PORT          default 18700
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${SMOKE_IMAGE:-stratum:smoke}"
DB_URL="${SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stratum_docker_smoke}"
REDIS_URL="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/4}"
PORT="${SMOKE_PORT:-18700}"
ADMIN_DB_URL="${DB_URL%/*}/postgres"
DB_NAME="${DB_URL##*/}"
CONTAINER=""

log() { printf 'docker-smoke: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
cleanup() {
  local status=$?
  [ -n "$CONTAINER" ] && docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
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
docker build -f deploy/Dockerfile -t "$IMAGE" . || {
  log "the build failed; if it could not pull its base images, the registry is out of reach"
  exit 2
}
log "built $IMAGE in $(($(date +%s) - start)) s"

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
for _ in $(seq 1 120); do
  if body="$(curl -fsS "http://127.0.0.1:$PORT/readyz" 2>/dev/null)"; then
    log "/readyz 200 $body"
    log "PASS in $(($(date +%s) - start)) s"
    exit 0
  fi
  [ "$(docker inspect -f '{{.State.Running}}' "$CONTAINER")" = true ] || break
  sleep 0.5
done
docker logs --tail 30 "$CONTAINER" >&2
die "/readyz never answered 200"
