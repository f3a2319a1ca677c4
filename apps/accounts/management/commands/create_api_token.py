"""`python manage.py create_api_token EMAIL --scopes read,write [--expires-days N] [--name …]`

Prints a new personal API token for the person (for staff and automation). The token is
shown once here; only its SHA-256 is stored.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.api.tokens import DEFAULT_EXPIRY_DAYS, api_token_create


class Command(BaseCommand):
    help = "Create an API token for a person and print it once."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--scopes", default="read", help="Comma-separated: read,write.")
        parser.add_argument("--expires-days", type=int, default=DEFAULT_EXPIRY_DAYS)
        parser.add_argument("--name", default="Created with manage.py create_api_token")

    def handle(self, *args, email, scopes, expires_days, name, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active person has the address {email}.")
        try:
            issued = api_token_create(
                user=user,
                name=name,
                scopes=[scope for scope in scopes.split(",") if scope.strip()],
                expires_days=expires_days,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        token = issued.token
        self.stderr.write(
            f"Token {token.prefix}… for {user.email}, scopes {','.join(token.scopes)}, "
            f"expires {token.expires_at:%d %b %Y}. It is shown once:"
        )
        self.stdout.write(issued.plaintext)
