"""Acceptance 2: a scripted partner does a full sync, then replays the change feed."""

import pytest
from django.utils import timezone

from apps.access.models import GrantStatus
from apps.access.policy import visible
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.projects.models import PartnerStatus, SummaryVisibility
from tests.access.factories import AccessGrantFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.projects.factories import PartnerFactory, ProjectFactory

pytestmark = pytest.mark.django_db


class Partner:
    """What a partner's sync script does (docs/sync_client.py does the same over HTTP)."""

    def __init__(self, client):
        self.client = client
        self.datasets: dict[str, dict] = {}
        self.cursor = None

    def full_sync(self) -> int:
        self.cursor = self.client.get("/api/v1/changes/?since=latest").json()["cursor"]
        url, pages = "/api/v1/datasets/?page_size=200", 0
        while url:
            body = self.client.get(url).json()
            for row in body["results"]:
                assert row["id"] not in self.datasets, "a row came twice in one full sync"
                self.datasets[row["id"]] = row
            url, pages = body["next"], pages + 1
        return pages

    def replay(self) -> None:
        while True:
            body = self.client.get(f"/api/v1/changes/?since={self.cursor}&page_size=200").json()
            for item in body["results"]:
                if item["resource"] != "dataset":
                    continue
                if item["op"] == "upsert":
                    self.datasets[item["id"]] = item["data"]
                else:
                    assert item["data"] is None
                    self.datasets.pop(item["id"], None)
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return


def _bulk(n: int, project, steward, **fields) -> list[Dataset]:
    rows = [
        Dataset(
            project=project,
            steward_organisation=steward,
            title=f"Dataset {project.acronym} {i}",
            status=fields.get("status", DatasetStatus.PUBLISHED),
            access_tier=fields.get("access_tier", AccessTier.CONSORTIUM),
        )
        for i in range(n)
    ]
    return Dataset.objects.bulk_create(rows)


def _visible_ids(user) -> set[str]:
    return {str(pk) for pk in visible(user, Dataset.objects.all()).values_list("pk", flat=True)}


@pytest.fixture
def thousand(project, lead_org, other_org, partner_member):
    # Members-only: its controlled datasets stay out of the public catalogue.
    elsewhere = ProjectFactory(acronym="ELSE", summary_visibility=SummaryVisibility.MEMBERS)
    PartnerFactory(project=elsewhere, organisation=other_org)
    return {
        "mine": _bulk(600, project, lead_org),
        "hidden": _bulk(200, elsewhere, other_org),
        "public": _bulk(100, elsewhere, other_org, access_tier=AccessTier.PUBLIC),
        "drafts": _bulk(100, elsewhere, other_org, status=DatasetStatus.DRAFT),
        "elsewhere": elsewhere,
    }


def test_a_full_sync_returns_each_visible_dataset_once_and_no_invisible_one(
    thousand, partner_member
):
    partner = Partner(client_for(partner_member, scopes=("read",)))
    assert Dataset.objects.count() == 1000
    assert partner.full_sync() == 4  # 700 visible rows at 200 a page
    expected = {str(d.pk) for d in thousand["mine"] + thousand["public"]}
    assert set(partner.datasets) == expected == _visible_ids(partner_member)


def test_replaying_the_feed_after_changes_deletions_and_a_revocation_yields_the_new_visible_set(
    thousand, partner_member, partner_org, other_org
):
    granted = DatasetFactory(
        project=thousand["elsewhere"],
        steward_organisation=other_org,
        access_tier=AccessTier.CONTROLLED,
    )
    grant = AccessGrantFactory(dataset=granted, user=partner_member, organisation=partner_org)
    partner = Partner(client_for(partner_member, scopes=("read",)))
    partner.full_sync()
    assert str(granted.pk) in partner.datasets

    changed, deleted = thousand["mine"][0], thousand["mine"][1]
    changed.title = "Renamed cohort"
    changed.save()
    deleted.delete()
    opened = thousand["hidden"][0]
    opened.access_tier = AccessTier.PUBLIC
    opened.save()
    tightened = thousand["public"][0]
    tightened.access_tier = AccessTier.CONSORTIUM
    tightened.save()
    new = DatasetFactory(project=changed.project, steward_organisation=changed.steward_organisation)
    grant.status = GrantStatus.REVOKED
    grant.status_changed_at = timezone.now()
    grant.save()

    partner.replay()

    assert set(partner.datasets) == _visible_ids(partner_member)
    assert str(granted.pk) not in partner.datasets
    assert str(tightened.pk) not in partner.datasets
    assert str(deleted.pk) not in partner.datasets
    assert str(opened.pk) in partner.datasets and str(new.pk) in partner.datasets
    assert partner.datasets[str(changed.pk)]["title"] == "Renamed cohort"


def test_a_partner_organisation_leaving_the_project_tombstones_its_datasets(
    project, lead_org, partner_org, partner_member
):
    datasets = _bulk(5, project, lead_org)
    partner = Partner(client_for(partner_member, scopes=("read",)))
    partner.full_sync()
    assert len(partner.datasets) == 5
    link = project.partners.get(organisation=partner_org)
    link.status = PartnerStatus.LEFT
    link.save()
    partner.replay()
    assert partner.datasets == {}
    assert not {str(d.pk) for d in datasets} & _visible_ids(partner_member)


def test_the_feed_is_empty_and_keeps_its_cursor_when_nothing_changed(partner_member, project):
    client = client_for(partner_member)
    head = client.get("/api/v1/changes/?since=latest").json()
    body = client.get(f"/api/v1/changes/?since={head['cursor']}").json()
    assert body["results"] == []
    assert body["cursor"] == head["cursor"]
    assert body["has_more"] is False


def test_a_tombstone_reveals_nothing_but_the_type_and_id_and_only_to_who_saw_it(
    outsider, partner_member, project, lead_org
):
    outside, inside = client_for(outsider), client_for(partner_member)
    heads = [c.get("/api/v1/changes/?since=latest").json()["cursor"] for c in (outside, inside)]
    secret = DatasetFactory(project=project, steward_organisation=lead_org, title="Secret title")
    secret_id = str(secret.pk)
    secret.delete()
    for client, head in zip((outside, inside), heads, strict=True):
        body = client.get(f"/api/v1/changes/?since={head}").json()
        items = [item for item in body["results"] if item["id"] == secret_id]
        assert "Secret title" not in str(body)
        if client is inside:
            assert [(i["op"], i["data"]) for i in items] == [("tombstone", None)]
        else:
            assert items == [], "an outsider learnt that a consortium dataset existed"


def test_an_unsettled_cursor_is_rejected_with_400(partner_member):
    response = client_for(partner_member).get("/api/v1/changes/?since=abc")
    assert response.status_code == 400
    assert "since" in response.json()["errors"]


def test_updated_since_returns_only_rows_changed_since(project, lead_org, partner_member):
    old = _bulk(3, project, lead_org)
    moment = timezone.now()
    fresh = DatasetFactory(project=project, steward_organisation=lead_org)
    client = client_for(partner_member)
    body = client.get("/api/v1/datasets/", {"updated_since": moment.isoformat()}).json()
    assert [row["id"] for row in body["results"]] == [str(fresh.pk)]
    assert old
