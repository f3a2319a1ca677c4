"""Acceptance 1 of issue #15, channels 6 and 7, per persona: change-feed tombstones reach only
callers who could see the object before, and `?updated_since` on projects tells a card-only
caller nothing of a members-only project's hidden activity. An entitled control persona sees
every probe, so no probe is void.

Personas: anonymous; non-partner; partner organisation member without a grant or membership;
member of a suspended partner organisation; holder of an expired grant; observer whose
membership has ended; control: the project's coordinator.
"""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.test import APIClient

from apps.access.models import AccessRequest, RequestStatus
from apps.access.policy import Action, can, visible
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.documents.models import ProtocolVersion
from apps.milestones.models import Deliverable, Milestone
from apps.organisations.models import OrganisationStatus
from apps.projects.models import MembershipRole, SummaryVisibility
from tests.access.factories import (
    AccessGrantFactory,
    AccessRequestFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
)
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import MembershipFactory, PartnerFactory

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "non-partner",
    "partner without grant",
    "suspended organisation's member",
    "expired grantee",
    "ended observer",
)


@pytest.fixture
def world(project, lead_org, partner_org, other_org, outsider, coordinator):
    """A members-only project with one hidden object of each kind the issue names, and the
    personas around it."""
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.summary = "Canary summary: interim analysis under way"
    project.save()
    dataset = DatasetFactory(project=project, steward_organisation=lead_org, title="Canary set")
    draft = DatasetFactory(
        project=project, steward_organisation=lead_org, status=DatasetStatus.DRAFT
    )
    controlled = DatasetFactory(
        project=project, steward_organisation=lead_org, access_tier=AccessTier.CONTROLLED
    )
    protocol = ProtocolFactory(project=project)
    draft_version = ProtocolVersionFactory(protocol=protocol)
    milestone = MilestoneFactory(project=project)
    restricted = DeliverableFactory(
        project=project, dissemination=Deliverable.Dissemination.RESTRICTED
    )
    applicant = UserFactory(email="applicant@example.ac.uk")
    AffiliationFactory(user=applicant, organisation=partner_org)
    access_request = AccessRequestFactory(
        dataset=controlled,
        requester=applicant,
        organisation=partner_org,
        status=RequestStatus.IN_REVIEW,
    )
    # The control sits on the committee, so it sees the request too.
    CommitteeMemberFactory(
        committee=CommitteeFactory(project=project), user=coordinator, organisation=lead_org
    )

    suspended_org = OrganisationFactory(name="Suspended Bio")
    PartnerFactory(project=project, organisation=suspended_org)
    suspended_member = UserFactory(email="member@suspended.test")
    AffiliationFactory(user=suspended_member, organisation=suspended_org)
    MembershipFactory(project=project, user=suspended_member, organisation=suspended_org)
    suspended_org.status = OrganisationStatus.SUSPENDED
    suspended_org.save()

    grantee = UserFactory(email="grantee@diagnostix.test")
    AffiliationFactory(user=grantee, organisation=other_org)
    AccessGrantFactory(
        request=AccessRequestFactory(dataset=controlled, requester=grantee, organisation=other_org),
        valid_from=timezone.now() - datetime.timedelta(days=30),
        valid_until=timezone.now() - datetime.timedelta(days=1),
    )
    colleague = UserFactory(email="colleague@example.ac.uk")
    AffiliationFactory(user=colleague, organisation=partner_org)
    observer = UserFactory(email="observer@example.ac.uk")
    AffiliationFactory(user=observer, organisation=partner_org)
    MembershipFactory(
        project=project,
        user=observer,
        organisation=partner_org,
        role=MembershipRole.OBSERVER,
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    return {
        "project": project,
        "probes": {
            "dataset": [dataset, draft],
            "protocol-version": [draft_version],
            "milestone": [milestone],
            "deliverable": [restricted],
            "access-request": [access_request],
        },
        "people": {
            "anonymous": AnonymousUser(),
            "non-partner": outsider,
            "partner without grant": colleague,
            "suspended organisation's member": suspended_member,
            "expired grantee": grantee,
            "ended observer": observer,
            "control": coordinator,
        },
    }


MODELS = {
    "dataset": Dataset,
    "protocol-version": ProtocolVersion,
    "milestone": Milestone,
    "deliverable": Deliverable,
    "access-request": AccessRequest,
}


def _client(user) -> APIClient:
    return APIClient() if not user.is_authenticated else client_for(user, scopes=("read",))


def _seen_by(user, probes) -> set[tuple[str, str]]:
    """What the policy shows `user` of the probes (asked before they are deleted)."""
    seen = set()
    for resource, rows in probes.items():
        ids = [row.pk for row in rows]
        query = visible(user, MODELS[resource].objects.filter(pk__in=ids))
        seen |= {(resource, str(pk)) for pk in query.values_list("pk", flat=True)}
    return seen


def _delete_probes(probes) -> set[tuple[str, str]]:
    deleted = set()
    for resource, rows in probes.items():
        for row in rows:
            deleted.add((resource, str(row.pk)))
            type(row).objects.filter(pk=row.pk).delete()
    return deleted


def _head(client) -> str:
    response = client.get("/api/v1/changes/?since=latest")
    assert response.status_code == 200, response.content
    return response.json()["cursor"]


def _feed(client, cursor) -> list[dict]:
    response = client.get(f"/api/v1/changes/?since={cursor}&page_size=200")
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_persona_gets_no_tombstone_of_an_object_it_never_saw(world, persona):
    user, control = world["people"][persona], world["people"]["control"]
    client, control_client = _client(user), _client(control)
    seen, control_seen = _seen_by(user, world["probes"]), _seen_by(control, world["probes"])
    heads = [
        c.get("/api/v1/changes/?since=latest").json()["cursor"] for c in (client, control_client)
    ]

    deleted = _delete_probes(world["probes"])

    never_seen = deleted - seen
    assert never_seen, f"{persona}: the probe is void (they could see every probe)"
    items = _feed(client, heads[0])
    leaked = {(i["resource"], i["id"]) for i in items} & never_seen
    assert not leaked, f"{persona} learnt of objects they never saw: {sorted(leaked)}"
    assert all(i["op"] == "tombstone" for i in items if (i["resource"], i["id"]) in deleted)
    assert "Canary" not in str(items)
    # The control saw every probe, and gets a tombstone for each.
    assert control_seen == deleted
    control_items = _feed(control_client, heads[1])
    tombstones = {(i["resource"], i["id"]) for i in control_items if i["op"] == "tombstone"}
    assert deleted <= tombstones


def _listed_since(client, moment) -> dict[str, dict]:
    body = client.get("/api/v1/projects/", {"updated_since": moment.isoformat()}).json()
    return {row["id"]: row for row in body["results"]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_updated_since_hides_a_members_only_projects_hidden_activity(world, persona):
    project, user = world["project"], world["people"][persona]
    control = world["people"]["control"]
    client = _client(user)
    card_only = not can(user, Action.VIEW_DETAILS, project)
    moment = timezone.now()

    # Only hidden parts change: the summary and the people.
    project.summary = "Canary summary: recruitment paused"
    project.save()
    newcomer = UserFactory(email="newcomer@example.ac.uk")
    AffiliationFactory(user=newcomer, organisation=project.partners.first().organisation)
    MembershipFactory(
        project=project, user=newcomer, organisation=project.partners.first().organisation
    )

    listed = _listed_since(client, moment)
    if card_only:
        assert str(project.pk) not in listed, f"{persona} learnt the project is active"
        cards = client.get("/api/v1/projects/").json()["results"]
        [card] = [row for row in cards if row["id"] == str(project.pk)] or [None]
        if card is not None:  # the card, if listed at all, carries the card's own time
            shown = datetime.datetime.fromisoformat(card["updated_at"].replace("Z", "+00:00"))
            assert shown < moment
            assert "Canary" not in str(card)
    else:
        assert str(project.pk) in listed
    # The control reads the whole project: it is listed, summary and all.
    control_listed = _listed_since(_client(control), moment)
    assert "recruitment paused" in control_listed[str(project.pk)]["summary"]

    # A change to the card itself reaches everyone who sees the card.
    project.title = "Respiratory stratification (phase 2)"
    project.save()
    sees_card = str(project.pk) in {
        r["id"] for r in client.get("/api/v1/projects/").json()["results"]
    }
    assert (str(project.pk) in _listed_since(client, moment)) == sees_card


def test_every_persona_but_the_control_is_card_only_or_outside(world):
    """The personas are what they claim: none of them may read the hidden summary."""
    project = world["project"]
    for persona in PERSONAS:
        user = world["people"][persona]
        details = can(user, Action.VIEW_DETAILS, project)
        assert persona in ("partner without grant", "ended observer") or not details, persona
    assert can(world["people"]["control"], Action.VIEW_DETAILS, project)


def test_an_outsiders_feed_costs_the_same_queries_for_few_and_many_hidden_writes(
    outsider, project, lead_org
):
    """Judging "could they see it before" is one statement per resource type, however many
    separate writes the page holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(outsider)
    head = _head(client)

    def hidden_writes(n):
        for i in range(n):
            dataset = DatasetFactory(project=project, steward_organisation=lead_org)
            dataset.title = f"Renamed {i}"
            dataset.save()
            Milestone.objects.filter(pk=MilestoneFactory(project=project).pk).delete()

    hidden_writes(3)
    _feed(client, head)  # the first read of the feed reads and caches the access facts
    with CaptureQueriesContext(connection) as few:
        assert _feed(client, head) == []
    hidden_writes(30)
    with CaptureQueriesContext(connection) as many:
        assert _feed(client, head) == []
    assert _feed_queries(few) == _feed_queries(many)


def _feed_queries(captured) -> int:
    """Statements a feed read ran, less the token's last-use write (made at most once a
    minute, so it comes and goes with the clock on a slow machine)."""
    return sum(
        1
        for q in captured.captured_queries
        if not q["sql"].startswith('UPDATE "accounts_apitoken"')
    )
