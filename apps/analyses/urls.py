from django.urls import path

from apps.analyses import views

app_name = "analyses"

urlpatterns = [
    path("project/<uuid:project_pk>/new/", views.analysis_create, name="create"),
    path("<uuid:pk>/", views.analysis_detail, name="detail"),
    path("<uuid:pk>/versions/new/", views.version_upload, name="version_upload"),
    path("<uuid:pk>/versions/<int:number>/approve/", views.version_approve, name="version_approve"),
    path(
        "<uuid:pk>/versions/<int:number>/download/", views.version_download, name="version_download"
    ),
]
