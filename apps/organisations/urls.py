from django.urls import path

from apps.organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("propose/", views.propose, name="propose"),
    path("mine/", views.mine, name="mine"),
    path("staff/", views.staff_console, name="staff_console"),
    path("staff/import/", views.staff_import, name="staff_import"),
    path("staff/<slug:slug>/<str:decision>/", views.staff_decide, name="staff_decide"),
    path(
        "invitations/mine/<uuid:pk>/accept/",
        views.invitation_accept_mine,
        name="invitation_accept_mine",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("<slug:slug>/", views.profile, name="profile"),
    path("<slug:slug>/logo/", views.logo, name="logo"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/join/<uuid:pk>/withdraw/", views.join_withdraw, name="join_withdraw"),
    path("<slug:slug>/leave/", views.leave, name="leave"),
    path("<slug:slug>/manage/", views.manage_members, name="manage"),
    path("<slug:slug>/manage/profile/", views.manage_profile, name="manage_profile"),
    path("<slug:slug>/manage/members/", views.manage_members, name="manage_members"),
    path(
        "<slug:slug>/manage/members/<uuid:pk>/<str:action>/",
        views.member_action,
        name="member_action",
    ),
    path("<slug:slug>/manage/invitations/", views.manage_invitations, name="manage_invitations"),
    path(
        "<slug:slug>/manage/invitations/<uuid:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<slug:slug>/manage/join-requests/",
        views.manage_join_requests,
        name="manage_join_requests",
    ),
    path(
        "<slug:slug>/manage/join-requests/<uuid:pk>/<str:decision>/",
        views.join_request_decide,
        name="join_request_decide",
    ),
    path("<slug:slug>/manage/domains/", views.manage_domains, name="manage_domains"),
    path(
        "<slug:slug>/manage/domains/<uuid:pk>/remove/",
        views.domain_remove,
        name="domain_remove",
    ),
]
