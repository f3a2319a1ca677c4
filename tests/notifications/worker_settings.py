"""Settings for a Celery worker started by a test: the test settings, but real SMTP.

portal.settings.test keeps mail in memory (locmem), which another process cannot share, so the
worker sends to the SMTP sink the test starts on SMTP_SINK_PORT.
"""

import os

from portal.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["SMTP_SINK_PORT"])
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
EMAIL_HOST_USER = ""
EMAIL_HOST_PASSWORD = ""
EMAIL_TIMEOUT = 10
# Keep the database connection between tasks, as a production worker does (its pool): a new
# connection per task would dominate a batch of e-mails in bench/fanout.py.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
# A worker started with embedded beat (Worker(beat=True)) runs only the outbox sweep, on its
# production schedule: the tests measure e-mail recovery, not the daily jobs.
CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
    if entry["task"] == "notifications.sweep_outbox"
}
