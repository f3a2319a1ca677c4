import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from apps.seeding.demo.security import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo authenticator (demo data only)."

    def handle(self, *args, **options):
        counter = int(time.time()) // 30
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        seconds_left = 30 - int(time.time()) % 30
        self.stdout.write(f"{code}  (valid for about {seconds_left} more seconds)")
