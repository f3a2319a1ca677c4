"""The portal's URLs plus the test identity providers' own endpoints, for the sign-in tests
only: a local OpenID Connect provider (django-oauth-toolkit) under /idp/o/, and the SAML test
IdP's published metadata under /idp/saml/metadata/<name>/."""

from django.http import Http404, HttpResponse
from django.urls import include, path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns
from tests.sso.idp import SAML_METADATA


def saml_metadata(request, name: str):
    if name not in SAML_METADATA:
        raise Http404
    return HttpResponse(SAML_METADATA[name], content_type="application/samlmetadata+xml")


urlpatterns = [
    path("idp/o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("idp/saml/metadata/<slug:name>/", saml_metadata),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
