from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.organisations.models import Affiliation


def user_current_affiliations(*, user) -> QuerySet[Affiliation]:
    """The person's current affiliations (any organisation status), organisation loaded."""
    return user.affiliations.filter(ended_at__isnull=True).select_related("organisation")


@dataclass(frozen=True)
class AccountSection:
    title: str
    url: str
    description: str
    state: str = ""


def account_sections(*, user) -> list[AccountSection]:
    """The cards of /account/, in the order of the account menu, each saying its state."""
    from allauth.mfa.models import Authenticator

    now = timezone.now()
    has_second_factor = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()
    tokens = user.api_tokens.filter(
        organisation__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).count()
    missing = [
        label
        for label, value in (("job title", user.job_title), ("ORCID iD", user.orcid))
        if not value
    ]
    return [
        AccountSection(
            "Profile",
            reverse("accounts:profile"),
            "Your name as colleagues and committees see it, job title, ORCID iD and time zone.",
            f"Add your {' and '.join(missing)}." if missing else "Complete.",
        ),
        AccountSection(
            "E-mail addresses",
            reverse("account_email"),
            "The address you sign in with, and others that link you to your organisations.",
            user.email,
        ),
        AccountSection(
            "Password",
            reverse("account_change_password"),
            "Change the password you sign in with.",
        ),
        AccountSection(
            "Sign-in and security",
            reverse("security:account_security"),
            "Where you are signed in, and signing out everywhere else at once.",
        ),
        AccountSection(
            "Two-factor authentication",
            reverse("mfa_index"),
            "An authenticator app and recovery codes, so a password alone is not enough.",
            "On." if has_second_factor else "Off.",
        ),
        AccountSection(
            "API tokens",
            reverse("tokens:list"),
            "Tokens that let your scripts and partner systems use the API as you.",
            f"{tokens} active." if tokens != 1 else "1 active.",
        ),
        AccountSection(
            "Webhooks",
            reverse("tokens:webhooks"),
            "Signed notifications to your organisation's systems (organisation admins).",
        ),
        AccountSection(
            "Notification preferences",
            reverse("notifications:preferences"),
            "Which events reach you by e-mail at once, in a daily digest, or not at all.",
        ),
    ]
