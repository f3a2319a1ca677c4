from django.urls import path

from apps.milestones import views

app_name = "milestones"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("deliverables/public/", views.public_deliverables, name="public_deliverables"),
    path("projects/<slug:slug>/", views.project_milestones, name="project"),
    path("projects/<slug:slug>/new/", views.milestone_create, name="create"),
    path("projects/<slug:slug>/milestones.csv", views.export_csv, name="export_csv"),
    path("projects/<slug:slug>/milestones.ics", views.export_ics, name="export_ics"),
    path("projects/<slug:slug>/deliverables/", views.project_deliverables, name="deliverables"),
    path(
        "projects/<slug:slug>/deliverables/new/",
        views.deliverable_create,
        name="deliverable_create",
    ),
    path("<uuid:milestone_id>/", views.milestone_detail, name="detail"),
    path("<uuid:milestone_id>/edit/", views.milestone_edit, name="edit"),
    path("<uuid:milestone_id>/status/", views.milestone_status, name="status"),
    path("<uuid:milestone_id>/defer/", views.milestone_defer, name="defer"),
    path("<uuid:milestone_id>/delete/", views.milestone_delete, name="delete"),
    path("deliverables/<uuid:deliverable_id>/", views.deliverable_detail, name="deliverable"),
    path(
        "deliverables/<uuid:deliverable_id>/edit/",
        views.deliverable_edit,
        name="deliverable_edit",
    ),
    path(
        "deliverables/<uuid:deliverable_id>/<slug:transition>/",
        views.deliverable_transition,
        name="deliverable_transition",
    ),
]
