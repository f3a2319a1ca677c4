from django.urls import path

from apps.organisations.views import manage, membership, public, staff

app_name = "organisations"

urlpatterns = [
    path("", public.directory, name="directory"),
    path("propose/", membership.propose, name="propose"),
    path("mine/", membership.mine, name="mine"),
    path("staff/", staff.staff_console, name="staff_console"),
    path("staff/import/", staff.staff_import, name="staff_import"),
    path("staff/import/template.csv", staff.staff_import_template, name="staff_import_template"),
    path("staff/import/<uuid:pk>/", staff.staff_import_progress, name="staff_import_progress"),
    path("staff/import/<uuid:pk>/resume/", staff.staff_import_resume, name="staff_import_resume"),
    path("staff/<slug:slug>/<str:decision>/", staff.staff_decide, name="staff_decide"),
    path(
        "invitations/mine/<uuid:pk>/accept/",
        membership.invitation_accept_mine,
        name="invitation_accept_mine",
    ),
    path("invitations/<str:token>/", membership.invitation_accept, name="invitation_accept"),
    path("<slug:slug>/", public.profile, name="profile"),
    path("<slug:slug>/logo/", public.logo, name="logo"),
    path("<slug:slug>/join/", membership.join, name="join"),
    path("<slug:slug>/join/<uuid:pk>/withdraw/", membership.join_withdraw, name="join_withdraw"),
    path("<slug:slug>/leave/", membership.leave, name="leave"),
    path("<slug:slug>/manage/", manage.manage_members, name="manage"),
    path("<slug:slug>/manage/profile/", manage.manage_profile, name="manage_profile"),
    path("<slug:slug>/manage/members/", manage.manage_members, name="manage_members"),
    path(
        "<slug:slug>/manage/members/<uuid:pk>/<str:action>/",
        manage.member_action,
        name="member_action",
    ),
    path("<slug:slug>/manage/invitations/", manage.manage_invitations, name="manage_invitations"),
    path(
        "<slug:slug>/manage/invitations/<uuid:pk>/revoke/",
        manage.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<slug:slug>/manage/join-requests/",
        manage.manage_join_requests,
        name="manage_join_requests",
    ),
    path(
        "<slug:slug>/manage/join-requests/<uuid:pk>/<str:decision>/",
        manage.join_request_decide,
        name="join_request_decide",
    ),
    path("<slug:slug>/manage/domains/", manage.manage_domains, name="manage_domains"),
    path(
        "<slug:slug>/manage/domains/<uuid:pk>/remove/",
        manage.domain_remove,
        name="domain_remove",
    ),
]
