"""Demo people every other demo module builds on."""

from functools import cache

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from apps.accounts.models import User

DEMO_PASSWORD = "stratum-demo-2026"  # noqa: S105 - public demo account, local only


@cache
def demo_password_hash() -> str:
    """The demo password hashed once per run: every demo person shares it, and hashing at
    Django's PBKDF2 cost (about half a second each) was most of a fresh `make run`'s seeding."""
    return make_password(DEMO_PASSWORD)


def demo_user(email: str, first_name: str, last_name: str, **extra) -> User:
    """Get or create a verified demo person with the demo password."""
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name, **extra}
    )
    if created:
        user.password = demo_password_hash()
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed(stdout) -> None:
    demo_user("staff@stratum.test", "Sam", "Staff", is_staff=True, is_superuser=True)
    demo_user("demo@stratum.test", "Dana", "Demo", job_title="Translational scientist")
