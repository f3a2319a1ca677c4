from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from apps.api import guide as api_guide
from apps.core import health, views
from apps.security import views as security_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The busiest prefixes first: Django tries the patterns in order, and each include before
    # a match costs its own attempts (the "" include below, all of its patterns). No pattern
    # before these could match a path under them, so the order changes no resolution.
    path("search/", include("apps.search.urls")),
    path("api/v1/", include("apps.api.urls")),
    path("projects/", include("apps.projects.urls")),
    path("datasets/", include("apps.datasets.urls")),
    # Local storage's stand-in for presigned S3 part URLs (apps/core/multipart.py).
    path("uploads/parts/<str:token>/", views.multipart_part_put, name="multipart_part_put"),
    path("admin/login/", security_views.admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("sso/", include("apps.sso.urls")),
    path("", include("apps.security.urls")),
    path("account/", include("apps.accounts.urls")),
    path("organisations/", include("apps.organisations.urls")),
    path("disease-areas/", include("apps.diseases.urls")),
    path("protocols/", include("apps.documents.urls")),
    path("analyses/", include("apps.analyses.urls")),
    path("access/", include("apps.access.urls")),
    path("ga4gh/", include("apps.access.urls_ga4gh")),
    path("milestones/", include("apps.milestones.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("audit/", include("apps.audit.urls")),
    path("account/tokens/", include("apps.api.web_urls")),
    path("api/guide/", api_guide.guide, name="api-guide"),
    path("api/guide/sync_client.py", api_guide.sync_client, name="api-guide-sync-client"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP forbids inline ones.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"

if settings.DEBUG:
    urlpatterns += [path("__errors__/<int:code>/", views.error_preview)]
