"""GA4GH Passport v1.2 endpoints (#18): the JWKS relying systems verify visas with, and the
signed-in person's passport."""

from django.urls import path

from apps.access.views import visas

app_name = "ga4gh"

urlpatterns = [
    path("jwks.json", visas.jwks_view, name="jwks"),
    path("passport/", visas.passport_view, name="passport"),
]
