"""What every notification e-mail says about where it points: absolute links, the signed
unsubscribe link, the subject prefix. Shared by the outbox (single e-mails, rendered when sent)
and the digest (rendered when gathered, and again when sent if the policy withdrew an item)."""

from django.conf import settings
from django.urls import reverse

from apps.notifications.tokens import unsubscribe_token


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}" if url else settings.SITE_URL


def unsubscribe_url(*, user_id, scope: str) -> str:
    token = unsubscribe_token(user_id=user_id, scope=scope)
    return absolute(reverse("notifications:unsubscribe", args=[token]))


def email_subject(subject: str) -> str:
    return f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"[:300]
