"""Bearer-token authentication for partner systems (DESIGN.md §4)."""

import hashlib

from django.utils import timezone
from rest_framework import authentication, exceptions

from apps.accounts.models import ApiToken


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Bearer <token>'.")
        token = (
            ApiToken.objects.select_related("user").filter(token_hash=hash_token(parts[1])).first()
        )
        if token is None or not token.is_usable() or not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is invalid, expired or revoked.")
        ApiToken.objects.filter(pk=token.pk).update(
            last_used_at=timezone.now(), last_used_ip=request.META.get("REMOTE_ADDR")
        )
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
