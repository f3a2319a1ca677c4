from django.urls import path

from apps.access import views
from apps.access.views import (
    agreements,
    committee_discussion,
    committee_reviews,
    committee_votes,
    sharing,
)

app_name = "access"

urlpatterns = [
    path("", views.index, name="index"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<uuid:pk>/", views.request_detail, name="request_detail"),
    path("requests/<uuid:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<uuid:pk>/submit/", views.request_submit, name="request_submit"),
    path("requests/<uuid:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("requests/<uuid:pk>/reapply/", views.request_reapply, name="request_reapply"),
    path("requests/<uuid:pk>/decide/", views.request_decide, name="request_decide"),
    path("requests/<uuid:pk>/steward/", views.request_steward, name="request_steward"),
    path("requests/<uuid:pk>/conflict/", views.request_declare_conflict, name="request_conflict"),
    path("requests/<uuid:pk>/vote/", committee_votes.request_vote, name="request_vote"),
    path("requests/<uuid:pk>/reviews/", committee_reviews.review_ask, name="review_ask"),
    path(
        "requests/<uuid:pk>/reviews/<uuid:review_pk>/",
        committee_reviews.review_submit,
        name="review_submit",
    ),
    path("reviews/", committee_reviews.my_reviews, name="my_reviews"),
    path("sharing/<slug:slug>/", sharing.sharing_view, name="sharing"),
    path("sharing/<slug:slug>/grants.csv", sharing.sharing_csv, name="sharing_csv"),
    path("datasets/<uuid:pk>/agreement/", agreements.dataset_agreement, name="dataset_agreement"),
    path("agreements/<uuid:pk>/pdf/", agreements.acceptance_pdf_download, name="acceptance_pdf"),
    path("requests/<uuid:pk>/messages/", committee_discussion.message_post, name="message_post"),
    path(
        "requests/<uuid:pk>/documents/",
        committee_discussion.document_upload,
        name="document_upload",
    ),
    path(
        "requests/<uuid:pk>/documents/<uuid:document_pk>/",
        committee_discussion.document_download,
        name="document_download",
    ),
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/<uuid:pk>/", views.grant_detail, name="grant_detail"),
    path("grants/<uuid:pk>/manage/", views.grant_manage, name="grant_manage"),
    path("grants/<uuid:pk>/renew/", views.grant_renew, name="grant_renew"),
    path("datasets/<uuid:pk>/request/", views.request_create, name="request_create"),
    path("datasets/<uuid:pk>/policy/", views.policy_edit, name="policy_edit"),
    path("committee/<slug:slug>/", views.committee_queue, name="committee_queue"),
    path("committee/<slug:slug>/members/", views.committee_members, name="committee_members"),
    path("committee/<slug:slug>/rules/", committee_votes.committee_rules, name="committee_rules"),
    path(
        "committee/<slug:slug>/members/<uuid:member_pk>/end/",
        views.committee_member_end,
        name="committee_member_end",
    ),
    path(
        "committee/<slug:slug>/members/<uuid:member_pk>/chair/",
        views.committee_member_chair,
        name="committee_member_chair",
    ),
]
