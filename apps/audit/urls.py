from django.urls import path

from apps.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("projects/<slug:slug>/", views.project_events, name="project_events"),
    path("datasets/<uuid:pk>/downloads/", views.dataset_downloads, name="dataset_downloads"),
    path(
        "datasets/<uuid:pk>/access.csv", views.dataset_access_export, name="dataset_access_export"
    ),
    path("people/<uuid:pk>/grants.csv", views.person_grants_export, name="person_grants_export"),
    path(
        "committee/<slug:slug>/decisions.csv",
        views.committee_decisions_export,
        name="committee_decisions_export",
    ),
]
