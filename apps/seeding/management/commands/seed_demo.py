"""Loads the demo world. Idempotent: running it twice changes nothing the second time.

Each app has a module in `apps/seeding/demo/` with a `seed(stdout) -> None` function; they run in
the order below because later ones build on earlier ones. The shared kinds' modules (datasets,
protocols, analyses…) are those their declarations name (`apps.core.kinds`), run after projects.
"""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core.kinds import shared_kinds
from apps.seeding.demo.accounts import DEMO_PASSWORD

BEFORE_KINDS = [
    "apps.seeding.demo.accounts",
    "apps.seeding.demo.organisations",
    "apps.seeding.demo.projects",
]
AFTER_KINDS = [
    "apps.seeding.demo.access",
    "apps.seeding.demo.milestones",
    "apps.seeding.demo.notifications",
    "apps.seeding.demo.security",
]


def demo_modules() -> list[str]:
    return [*BEFORE_KINDS, *(kind.demo for kind in shared_kinds() if kind.demo), *AFTER_KINDS]


class Command(BaseCommand):
    help = "Load (or refresh) the demo organisations, people, projects and data."

    def handle(self, *args, **options):
        for module_name in demo_modules():
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
