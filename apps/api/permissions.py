from rest_framework import permissions

from apps.accounts.models import ApiToken


class TokenScopePermission(permissions.BasePermission):
    """Reads are open (the access policy decides what each caller sees; anonymous callers see
    the public catalogue). Changes need a signed-in caller and, for tokens, the `write` scope."""

    message = "This token lacks the 'write' scope."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if request.method in permissions.SAFE_METHODS:
            if isinstance(token, ApiToken):
                return token.has_scope(ApiToken.Scope.READ) or token.has_scope(ApiToken.Scope.WRITE)
            return True
        if not (request.user and request.user.is_authenticated):
            self.message = "Sign in or send a token to make changes."
            return False
        if isinstance(token, ApiToken):
            self.message = "This token lacks the 'write' scope."
            return token.has_scope(ApiToken.Scope.WRITE)
        return True
