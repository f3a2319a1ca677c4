from django.urls import path

from apps.documents import views

app_name = "documents"

urlpatterns = [
    path("project/<uuid:project_pk>/", views.project_protocol_list, name="project_list"),
    path("project/<uuid:project_pk>/new/", views.protocol_create, name="create"),
    path("<uuid:pk>/", views.protocol_detail, name="detail"),
    path("<uuid:pk>/edit/", views.protocol_edit, name="edit"),
    path("<uuid:pk>/versions/new/", views.version_upload, name="version_upload"),
    path("<uuid:pk>/versions/<int:number>/edit/", views.version_edit, name="version_edit"),
    path("<uuid:pk>/versions/<int:number>/delete/", views.version_delete, name="version_delete"),
    path("<uuid:pk>/versions/<int:number>/approve/", views.version_approve, name="version_approve"),
    path(
        "<uuid:pk>/versions/<int:number>/download/", views.version_download, name="version_download"
    ),
]
