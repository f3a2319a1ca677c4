from django.urls import path

from apps.datasets import views

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
    path("<uuid:pk>/files/<uuid:file_pk>/delete/", views.file_delete, name="file_delete"),
    path("<uuid:pk>/files/<uuid:file_pk>/download/", views.file_download, name="file_download"),
]
