"""Demo second factors. Privileged demo people (staff, organisation admins, coordinators,
committee members) must have one, so they share a published demo TOTP secret: add it to any
authenticator app (or run `oathtool --totp -b <secret>`) to sign in as them."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from apps.accounts.models import User
from apps.security.mfa import user_has_privileged_role

# Public on purpose: demo data only, printed by seed_demo and in the README.
DEMO_TOTP_SECRET = "STRATUMDEMOSECRETSTRATUM"  # noqa: S105


def enrol_demo_mfa(user) -> None:
    """Give `user` the demo authenticator unless they already have one (idempotent)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def seed(stdout) -> None:
    demo_people = User.objects.filter(email__endswith=".test").exclude(
        email__endswith="@scale.stratum.test"
    )
    enrolled = 0
    for user in demo_people:
        if user_has_privileged_role(user):
            enrol_demo_mfa(user)
            enrolled += 1
    stdout.write(
        f"Two-factor: {enrolled} privileged demo people (staff, organisation admins, "
        f"coordinators, committee members) share the demo authenticator secret "
        f"{DEMO_TOTP_SECRET} — `python manage.py demo_totp` prints the current code."
    )
