from django.urls import path

from apps.projects.views import catalogue, members, partners, project, staff, work

app_name = "projects"

urlpatterns = [
    path("", catalogue.catalogue, name="catalogue"),
    # Two segments, so no project slug can shadow it (`<slug>/organisations/` is no page).
    path(
        "suggest/organisations/",
        catalogue.organisation_suggestions,
        name="organisation_suggestions",
    ),
    path("propose/", catalogue.propose, name="propose"),
    path("mine/", catalogue.mine, name="mine"),
    path("staff/", staff.queue, name="staff_queue"),
    path("staff/<slug:slug>/<str:decision>/", staff.decide, name="staff_decide"),
    path("invitations/", partners.invitations, name="invitations"),
    path(
        "invitations/<uuid:pk>/<str:answer>/",
        partners.invitation_answer,
        name="invitation_answer",
    ),
    path("<slug:slug>/", project.detail, name="detail"),
    path("<slug:slug>/edit/", project.edit, name="edit"),
    path("<slug:slug>/consortium-agreement/", project.agreement, name="agreement"),
    path("<slug:slug>/status/<str:name>/", project.transition, name="transition"),
    path("<slug:slug>/funders/", project.funders, name="funders"),
    path("<slug:slug>/funders/<uuid:pk>/remove/", project.funder_remove, name="funder_remove"),
    path("<slug:slug>/partners/", partners.partners, name="partners"),
    path(
        "<slug:slug>/partners/<uuid:pk>/leave/",
        partners.partner_leave_view,
        name="partner_leave",
    ),
    path("<slug:slug>/members/", members.members, name="members"),
    path("<slug:slug>/members/<uuid:pk>/role/", members.member_role, name="member_role"),
    path("<slug:slug>/members/<uuid:pk>/end/", members.member_end, name="member_end"),
    path("<slug:slug>/leave/", members.leave, name="leave"),
    path("<slug:slug>/work-packages/", work.work_packages, name="work_packages"),
    path(
        "<slug:slug>/work-packages/<uuid:pk>/edit/",
        work.work_package_edit,
        name="work_package_edit",
    ),
    path(
        "<slug:slug>/work-packages/<uuid:pk>/delete/",
        work.work_package_remove,
        name="work_package_delete",
    ),
    path("<slug:slug>/biomarkers/", work.biomarkers, name="biomarkers"),
    path("<slug:slug>/biomarkers/<uuid:pk>/edit/", work.biomarker_edit, name="biomarker_edit"),
    path(
        "<slug:slug>/biomarkers/<uuid:pk>/delete/",
        work.biomarker_remove,
        name="biomarker_delete",
    ),
]
