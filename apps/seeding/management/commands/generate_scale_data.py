import time

from django.core.management.base import BaseCommand

from apps.seeding.scale.generate import BENCH_PASSWORD, Generator, bench_email
from apps.seeding.scale.sizes import SCALES


class Command(BaseCommand):
    help = "Generate deterministic synthetic data at scale s, m or l (idempotent per scale)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="s")

    def handle(self, *args, scale: str, **options):
        generator = Generator(scale, SCALES[scale])
        if generator.already_done():
            self.stdout.write(f"Scale {scale} data already present; nothing to do.")
            return
        started = time.monotonic()
        generator.run()
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale {scale} generated in {time.monotonic() - started:.0f} s. "
                f"Benchmark persona: {bench_email(scale)} / {BENCH_PASSWORD}"
            )
        )
