"""The Celery application shared by the web process, the worker and beat."""

import os

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")


class SystemTask(DjangoTask):
    """Tasks act for no person: their reads of governed rows are named system reads. What a
    task delivers to a person (e-mails, digests, webhooks) is addressed and re-checked
    against the policy for that person by the service it calls."""

    def __call__(self, *args, **kwargs):
        from apps.core.guard import system_reads  # Django's apps are loaded by the time a task runs

        with system_reads(f"Celery task {self.name}"):
            return super().__call__(*args, **kwargs)


app = Celery("portal", task_cls=SystemTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
