#!/bin/sh
# One image, several roles. The first argument picks the role; anything else runs as given.
#   web      gunicorn (deploy/gunicorn.conf.py) on $PORT
#   worker   a Celery worker (CELERY_CONCURRENCY processes, CELERY_QUEUES queues)
#   beat     Celery beat; run exactly ONE (docker compose: one service; Kubernetes: replicas 1)
#   migrate  apply migrations once per release, before the new web/worker start
#   manage   python manage.py <args>
set -eu
cd /app

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    # Binds GUNICORN_BIND, else 0.0.0.0:$PORT (deploy/gunicorn.conf.py).
    exec gunicorn --config deploy/gunicorn.conf.py "$@" portal.wsgi:application
    ;;
  worker)
    exec celery --app portal worker \
      --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --queues "${CELERY_QUEUES:-celery}" \
      --hostname "worker@%h" \
      --without-mingle --without-gossip "$@"
    ;;
  beat)
    # The schedule lives in the database (django_celery_beat); no state file to keep.
    exec celery --app portal beat --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --scheduler django_celery_beat.schedulers:DatabaseScheduler "$@"
    ;;
  migrate)
    python manage.py migrate --noinput "$@"
    # Warnings are printed for the operator; only errors stop the release.
    exec python manage.py check --deploy
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
