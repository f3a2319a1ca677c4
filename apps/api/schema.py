"""OpenAPI description of the API's authentication (the extension registers itself when
this module is imported, from ApiConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "strat_ token",
            "description": "An API token from /account/tokens/: `Authorization: Bearer strat_…`. "
            "`read` tokens may use GET; changes need `write`.",
        }


class ApiAutoSchema(AutoSchema):
    """Safe methods are open to anonymous callers (the policy shows them the public
    catalogue), so they list "no authentication" as an option; views that need a caller
    (`IsAuthenticated`) and all changes keep authentication required."""

    def get_auth(self):
        auths = super().get_auth()
        needs_caller = any(
            isinstance(permission, IsAuthenticated) for permission in self.view.get_permissions()
        )
        if self.method in SAFE_METHODS and not needs_caller and {} not in auths:
            auths.append({})
        return auths
