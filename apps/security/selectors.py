"""Reads for the account security page."""

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.security.mfa import SECOND_FACTOR_TYPES
from apps.security.models import UserSession


def user_active_sessions(*, user) -> QuerySet:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")


def user_active_tokens(*, user) -> QuerySet:
    """Personal tokens still usable (not revoked, not expired)."""
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def user_second_factor_types(*, user) -> list[str]:
    from allauth.mfa.models import Authenticator

    return list(
        Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).values_list(
            "type", flat=True
        )
    )
