"""OpenAPI description of the API's own authentication (imported from ApiConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
