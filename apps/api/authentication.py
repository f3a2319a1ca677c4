"""Bearer-token authentication for partner systems (DESIGN.md §4)."""

from rest_framework import authentication, exceptions

from apps.api.throttling import request_verdict
from apps.api.tokens import api_token_touch, token_find
from apps.security.services import token_failed_record


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer strat_…`. Every request reads the token row, so a revocation or
    an expiry takes effect on the very next request (nothing is cached)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Bearer <token>'.")
        token = token_find(parts[1])
        if token is None or not token.is_usable() or not token.user.is_active:
            token_failed_record(raw=parts[1], request=request)
            raise exceptions.AuthenticationFailed("The token is invalid, expired or revoked.")
        api_token_touch(token=token, ip=request.META.get("REMOTE_ADDR"))
        # The token's rate limits and its use of the day (audited when new), in one Redis
        # round trip; the throttle then reads the answer from the request.
        request_verdict(request, token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
