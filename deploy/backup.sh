#!/usr/bin/env bash
# Back up Stratum: the PostgreSQL database (pg_dump custom format) and the media files.
#
#   DATABASE_URL=postgres://user:pass@host:5432/stratum MEDIA_ROOT=/app/media \
#     BACKUP_DIR=/backups deploy/backup.sh
#
# Writes BACKUP_DIR/stratum-<UTC timestamp>/ with
#   database.dump    pg_dump --format=custom (restore with deploy/restore.sh or pg_restore)
#   media.tar.gz     MEDIA_ROOT as a tarball (absent when media live in S3: version the bucket)
#   SHA256SUMS       checksums that restore.sh verifies before touching anything
#   MANIFEST         when, what, which versions
# then removes completed backups older than BACKUP_KEEP_DAYS (default 14), always keeping the
# newest BACKUP_KEEP_MIN (default 3). A backup is written under a ".partial" name and renamed
# only when complete, so a crash never leaves something that looks like a good backup.
# Copy BACKUP_DIR off the machine (object storage, another site): a backup beside the database
# it protects is not a backup.
set -euo pipefail
umask 077

: "${DATABASE_URL:?DATABASE_URL must point at the database to back up}"
BACKUP_DIR="${BACKUP_DIR:-./backups}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
BACKUP_KEEP_MIN="${BACKUP_KEEP_MIN:-3}"
MEDIA_ROOT="${MEDIA_ROOT:-}"

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# libpq understands postgres:// and postgresql://; django-environ also allows these aliases.
libpq_url() {
  local url="$1"
  case "$url" in
    pgsql://*|psql://*|postgis://*) url="postgresql://${url#*://}" ;;
  esac
  printf '%s' "$url"
}

PARTIAL=""  # global: the EXIT trap removes an unfinished backup after main has returned

main() {
  local db_url stamp target
  db_url="$(libpq_url "$DATABASE_URL")"
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$BACKUP_DIR"
  target="$BACKUP_DIR/stratum-$stamp"
  PARTIAL="$target.partial"
  rm -rf "$PARTIAL"
  mkdir -p "$PARTIAL"
  trap 'rm -rf "$PARTIAL"' EXIT

  log "dumping the database to $target/database.dump"
  pg_dump --format=custom --compress=6 --no-owner --no-privileges \
    --dbname="$db_url" --file="$PARTIAL/database.dump"
  # A dump that pg_restore cannot list is not a backup.
  pg_restore --list "$PARTIAL/database.dump" >/dev/null

  if [ -n "$MEDIA_ROOT" ] && [ -d "$MEDIA_ROOT" ]; then
    log "archiving media from $MEDIA_ROOT"
    tar --create --gzip --file="$PARTIAL/media.tar.gz" --directory="$MEDIA_ROOT" .
  else
    log "no MEDIA_ROOT directory: media not archived (S3 storage keeps its own versions)"
  fi

  {
    echo "created_utc=$stamp"
    echo "database=$(printf '%s' "$db_url" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')"
    echo "pg_dump=$(pg_dump --version)"
    echo "media_root=${MEDIA_ROOT:-none}"
  } >"$PARTIAL/MANIFEST"
  (cd "$PARTIAL" && sha256sum -- * >SHA256SUMS)

  mv "$PARTIAL" "$target"
  trap - EXIT
  log "complete: $target ($(du -sh "$target" | cut -f1))"
  prune
  printf '%s\n' "$target"
}

# Completed backups older than BACKUP_KEEP_DAYS go, except the newest BACKUP_KEEP_MIN.
prune() {
  local backups old
  mapfile -t backups < <(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'stratum-*' ! -name '*.partial' | sort -r)
  for old in "${backups[@]:$BACKUP_KEEP_MIN}"; do
    if [ -n "$(find "$old" -maxdepth 0 -mtime +"$BACKUP_KEEP_DAYS")" ]; then
      log "removing expired backup $old"
      rm -rf -- "$old"
    fi
  done
  # Leftovers of interrupted runs.
  find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'stratum-*.partial' -mtime +1 -exec rm -rf -- {} +
}

main "$@"
