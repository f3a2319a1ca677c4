"""Deliverables through the API: list and detail through the policy, the coordinators' writes
and the review steps as on the site, and the change feed."""

import pytest

from apps.milestones.models import Deliverable
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db
S = Deliverable.Status


@pytest.fixture
def deliverable(project, partner_member, coordinator):
    return Deliverable.objects.create(
        project=project,
        code="D1.1",
        title="Stratification report",
        summary="How the strata were found.",
        due_month=12,
        author=partner_member,
    )


@pytest.fixture
def approver(project, lead_org):
    person = UserFactory(email="approver@pharmacorp.test")
    AffiliationFactory(user=person, organisation=lead_org)
    MembershipFactory(project=project, user=person, organisation=lead_org)
    return person


def post_status(client, deliverable, to_status, **extra):
    return client.post(
        f"/api/v1/deliverables/{deliverable.pk}/status/",
        {"to_status": to_status, **extra},
        format="json",
    )


def test_the_consortium_lists_and_filters_deliverables(partner_member, deliverable, project):
    Deliverable.objects.create(project=project, code="D1.2", title="Data package", due_month=6)
    client = client_for(partner_member)
    listed = client.get("/api/v1/deliverables/", {"project": str(project.pk)}).json()
    assert {row["code"] for row in listed["results"]} == {"D1.1", "D1.2"}
    assert set(listed) == {"next", "previous", "results"}
    planned = client.get("/api/v1/deliverables/", {"status": "planned", "search": "strat"}).json()
    assert [row["code"] for row in planned["results"]] == ["D1.1"]
    detail = client.get(f"/api/v1/deliverables/{deliverable.pk}/")
    assert detail.status_code == 200 and detail["ETag"]
    assert detail.json()["author"]["id"] == str(partner_member.pk)


def test_outsiders_see_only_approved_public_deliverables(outsider, deliverable, project):
    client = client_for(outsider)
    assert client.get(f"/api/v1/deliverables/{deliverable.pk}/").status_code == 404
    Deliverable.objects.filter(pk=deliverable.pk).update(dissemination="public", status=S.APPROVED)
    assert client.get(f"/api/v1/deliverables/{deliverable.pk}/").status_code == 200


def test_linked_datasets_are_listed_only_when_the_caller_may_see_them(
    coordinator, outsider, deliverable, project
):
    dataset = DatasetFactory(project=project)
    deliverable.datasets.add(dataset)
    Deliverable.objects.filter(pk=deliverable.pk).update(dissemination="public", status=S.APPROVED)
    url = f"/api/v1/deliverables/{deliverable.pk}/"
    assert client_for(coordinator).get(url).json()["datasets"] == [str(dataset.pk)]
    assert client_for(outsider).get(url).json()["datasets"] == []


def test_a_coordinator_adds_a_deliverable(coordinator, project, partner_member, lead_org):
    dataset = DatasetFactory(project=project)
    response = client_for(coordinator).post(
        "/api/v1/deliverables/",
        {
            "project": str(project.pk),
            "code": "D2.1",
            "title": "Validation cohort report",
            "due_date": "2027-06-30",
            "lead_organisation": str(lead_org.pk),
            "author": str(partner_member.pk),
            "datasets": [str(dataset.pk)],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["status"], body["datasets"]) == (
        "D2.1",
        "planned",
        [str(dataset.pk)],
    )
    assert Deliverable.objects.get(pk=body["id"]).author == partner_member


def test_a_contributor_may_not_add_one(partner_member, project):
    response = client_for(partner_member).post(
        "/api/v1/deliverables/",
        {"project": str(project.pk), "code": "D9", "title": "Mine", "due_month": 3},
        format="json",
    )
    assert response.status_code == 403
    assert not Deliverable.objects.exists()


def test_an_unknown_project_or_a_non_member_author_is_a_400(coordinator, project, outsider):
    client = client_for(coordinator)
    unknown = client.post(
        "/api/v1/deliverables/",
        {"project": str(outsider.pk), "code": "D9", "title": "X", "due_month": 3},
        format="json",
    )
    assert unknown.status_code == 400 and "project" in unknown.json()["errors"]
    stranger = client.post(
        "/api/v1/deliverables/",
        {
            "project": str(project.pk),
            "code": "D9",
            "title": "X",
            "due_month": 3,
            "author": str(outsider.pk),
        },
        format="json",
    )
    assert stranger.status_code == 400 and "author" in stranger.json()["errors"]
    assert not Deliverable.objects.exists()


@pytest.mark.parametrize("code", ["D1.1", "d1.1"])
def test_a_duplicate_code_in_any_case_is_a_400(coordinator, project, deliverable, code):
    response = client_for(coordinator).post(
        "/api/v1/deliverables/",
        {"project": str(project.pk), "code": code, "title": "Again", "due_month": 3},
        format="json",
    )
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert Deliverable.objects.count() == 1


def test_the_author_edits_it_and_a_stale_if_match_changes_nothing(partner_member, deliverable):
    client = client_for(partner_member)
    url = f"/api/v1/deliverables/{deliverable.pk}/"
    etag = client.get(url)["ETag"]
    changed = client.patch(url, {"title": "Strata report"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.content
    stale = client.patch(url, {"title": "Other"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    deliverable.refresh_from_db()
    assert deliverable.title == "Strata report"


def test_the_review_runs_from_start_to_submission(
    partner_member, coordinator, approver, deliverable
):
    deliverable.approver = approver
    deliverable.save()
    author = client_for(partner_member)
    assert post_status(author, deliverable, "in_preparation").json()["status"] == S.IN_PREPARATION
    assert post_status(author, deliverable, "in_review").json()["status"] == S.IN_REVIEW
    # Only the named approver approves; the author is refused though they can see it.
    assert post_status(author, deliverable, "approved").status_code == 403
    assert post_status(client_for(coordinator), deliverable, "approved").status_code == 403
    approved = post_status(client_for(approver), deliverable, "approved")
    assert approved.status_code == 200 and approved.json()["approved_at"]
    assert post_status(author, deliverable, "submitted").status_code == 403
    submitted = post_status(client_for(coordinator), deliverable, "submitted")
    assert submitted.json()["status"] == S.SUBMITTED


def test_returning_a_deliverable_needs_a_reason(partner_member, coordinator, deliverable):
    Deliverable.objects.filter(pk=deliverable.pk).update(status=S.IN_REVIEW)
    client = client_for(coordinator)
    refused = post_status(client, deliverable, "in_preparation")
    assert refused.status_code == 400
    deliverable.refresh_from_db()
    assert deliverable.status == S.IN_REVIEW
    returned = post_status(client, deliverable, "in_preparation", reason="Add the methods.")
    assert returned.json()["status"] == S.IN_PREPARATION


def test_an_impossible_step_is_a_400_and_unchanged(coordinator, deliverable):
    response = post_status(client_for(coordinator), deliverable, "submitted")
    assert response.status_code == 400
    deliverable.refresh_from_db()
    assert deliverable.status == S.PLANNED


def test_a_partner_replaying_the_feed_gains_and_loses_a_deliverable(
    partner_member, coordinator, project
):
    client = client_for(partner_member)
    cursor = client.get("/api/v1/changes/?since=latest").json()["cursor"]
    created = client_for(coordinator).post(
        "/api/v1/deliverables/",
        {"project": str(project.pk), "code": "D3.1", "title": "Feed", "due_month": 9},
        format="json",
    )
    deliverable_id = created.json()["id"]
    body = client.get(f"/api/v1/changes/?since={cursor}").json()
    seen = {(item["resource"], item["id"]): item for item in body["results"]}
    assert seen[("deliverable", deliverable_id)]["op"] == "upsert"
    assert seen[("deliverable", deliverable_id)]["data"]["code"] == "D3.1"

    # Restricted to project members, then the partner's membership ends: a tombstone.
    client_for(coordinator).patch(
        f"/api/v1/deliverables/{deliverable_id}/", {"dissemination": "restricted"}, format="json"
    )
    from apps.projects.models import Membership
    from apps.projects.services import membership_end

    membership = Membership.objects.get(project=project, user=partner_member)
    membership_end(actor=coordinator, membership=membership)
    body = client.get(f"/api/v1/changes/?since={body['cursor']}").json()
    ops = {(i["resource"], i["id"]): i["op"] for i in body["results"]}
    assert ops[("deliverable", deliverable_id)] == "tombstone"
