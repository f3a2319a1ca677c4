from django.urls import path

from apps.datasets import resumable_views, views

app_name = "datasets"

urlpatterns = [
    path("", views.dataset_list, name="list"),
    path("suggest/projects/", views.project_suggestions, name="project_suggestions"),
    path("project/<uuid:project_pk>/", views.project_dataset_list, name="project_list"),
    path("project/<uuid:project_pk>/new/", views.dataset_create, name="create"),
    path("<uuid:pk>/", views.dataset_detail, name="detail"),
    path("<uuid:pk>/edit/", views.dataset_edit, name="edit"),
    path("<uuid:pk>/publish/", views.dataset_publish, name="publish"),
    path("<uuid:pk>/retire/", views.dataset_retire, name="retire"),
    path("<uuid:pk>/files/upload/", views.file_upload, name="file_upload"),
    # The upload page's Uppy speaks the Companion protocol below this prefix (resumable_views).
    path("file-uploads/uppy/s3/multipart", resumable_views.create, name="uppy_create"),
    path(
        "file-uploads/uppy/s3/multipart/<uuid:upload_id>",
        resumable_views.upload,
        name="uppy_upload",
    ),
    path(
        "file-uploads/uppy/s3/multipart/<uuid:upload_id>/complete",
        resumable_views.complete,
        name="uppy_complete",
    ),
    path(
        "file-uploads/uppy/s3/multipart/<uuid:upload_id>/<int:number>",
        resumable_views.part_url,
        name="uppy_part_url",
    ),
    path("<uuid:pk>/files/<uuid:file_pk>/delete/", views.file_delete, name="file_delete"),
    path("<uuid:pk>/files/<uuid:file_pk>/download/", views.file_download, name="file_download"),
]
