from rest_framework import permissions

from apps.accounts.models import ApiToken


class TokenScopePermission(permissions.BasePermission):
    """`read` tokens may use safe methods; changes need `write`. Session users are unaffected."""

    message = "This token lacks the 'write' scope."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken):
            if request.method in permissions.SAFE_METHODS:
                return token.has_scope(ApiToken.Scope.READ) or token.has_scope(ApiToken.Scope.WRITE)
            return token.has_scope(ApiToken.Scope.WRITE)
        return True
