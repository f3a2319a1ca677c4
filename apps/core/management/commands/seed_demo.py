"""Loads the demo world. Idempotent: running it twice changes nothing the second time.

Each app contributes an `apps/<app>/demo.py` with a `seed(stdout) -> None` function; they run in
the order below because later ones build on earlier ones.
"""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_MODULES = [
    "apps.accounts.demo",
    "apps.organisations.demo",
    "apps.projects.demo",
    "apps.documents.demo",
    "apps.datasets.demo",
    "apps.access.demo",
    "apps.milestones.demo",
    "apps.notifications.demo",
    "apps.security.demo",
]
DEMO_PASSWORD = "stratum-demo-2026"  # noqa: S105 - public demo account, local only


class Command(BaseCommand):
    help = "Load (or refresh) the demo organisations, people, projects and data."

    def handle(self, *args, **options):
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"Sign in at /accounts/login/ as demo@stratum.test (password {DEMO_PASSWORD}); "
            f"portal staff: staff@stratum.test (same password)."
        )
