"""The portal's URLs plus a local OpenID Connect provider (django-oauth-toolkit) under /idp/o/,
for the sign-in tests only."""

from django.urls import include, path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [
    path("idp/o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
