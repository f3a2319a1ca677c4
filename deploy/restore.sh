#!/usr/bin/env bash
# Restore a Stratum backup made by deploy/backup.sh into an EMPTY database (and media directory).
#
#   DATABASE_URL=postgres://user:pass@host:5432/stratum_restored MEDIA_ROOT=/app/media \
#     deploy/restore.sh /backups/stratum-20261126T020000Z
#
# Steps: verify SHA256SUMS; refuse a target database that already has tables (or a non-empty
# MEDIA_ROOT) unless --force; pg_restore with --exit-on-error in one transaction (all or
# nothing); unpack media. Stop web, worker and beat first; start them after, then check /readyz.
# Options:
#   --force       restore over existing objects (pg_restore --clean --if-exists; media merged)
#   --no-media    database only
set -euo pipefail

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
log() { printf '%s restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

libpq_url() {
  local url="$1"
  case "$url" in
    pgsql://*|psql://*|postgis://*) url="postgresql://${url#*://}" ;;
  esac
  printf '%s' "$url"
}

FORCE=0
WITH_MEDIA=1
SOURCE=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --no-media) WITH_MEDIA=0 ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$SOURCE" ] || usage; SOURCE="$1" ;;
  esac
  shift
done
[ -n "$SOURCE" ] || usage
: "${DATABASE_URL:?DATABASE_URL must point at the (empty) database to restore into}"
DB_URL="$(libpq_url "$DATABASE_URL")"
MEDIA_ROOT="${MEDIA_ROOT:-}"

[ -f "$SOURCE/database.dump" ] || die "$SOURCE/database.dump not found"
[ -f "$SOURCE/SHA256SUMS" ] || die "$SOURCE/SHA256SUMS not found"
log "verifying checksums in $SOURCE"
(cd "$SOURCE" && sha256sum --check --quiet SHA256SUMS) || die "checksum mismatch: backup damaged"

existing="$(psql "$DB_URL" --no-psqlrc --tuples-only --no-align --quiet -c \
  "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
clean_args=()
if [ "$existing" != "0" ]; then
  [ "$FORCE" = 1 ] || die "the target database already has $existing tables; use an empty database or --force"
  clean_args=(--clean --if-exists)
fi

log "restoring the database"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  "${clean_args[@]}" --dbname="$DB_URL" "$SOURCE/database.dump"
psql "$DB_URL" --no-psqlrc --quiet -c "ANALYZE" >/dev/null

if [ "$WITH_MEDIA" = 1 ] && [ -f "$SOURCE/media.tar.gz" ]; then
  [ -n "$MEDIA_ROOT" ] || die "the backup has media: set MEDIA_ROOT (or pass --no-media)"
  mkdir -p "$MEDIA_ROOT"
  if [ -n "$(ls -A "$MEDIA_ROOT")" ] && [ "$FORCE" != 1 ]; then
    die "MEDIA_ROOT $MEDIA_ROOT is not empty; use an empty directory or --force"
  fi
  log "unpacking media into $MEDIA_ROOT"
  tar --extract --gzip --file="$SOURCE/media.tar.gz" --directory="$MEDIA_ROOT" --no-same-owner
fi
log "complete: restored $SOURCE"
