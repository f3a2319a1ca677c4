"""The search table (`apps.search.index`) and its visibility rule (`apps.search.statements`)
against the access policy: for every persona of the trust issue, the controls, staff and a
proposer, and for every kind the table holds, the entries the rule lets a person see are
exactly the rows `visible()` returns — over a world with every tier, status and dissemination,
and again after the writes that change visibility (a project closed or turned members-only, a
grant, a partner), made by the triggers in the same transaction."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from apps.access.policy import visible
from apps.analyses.models import Analysis
from apps.core.kinds import shared_kind, shared_kinds
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.milestones.models import Deliverable, Milestone
from apps.organisations.models import Organisation, OrganisationStatus
from apps.projects.models import (
    Biomarker,
    PartnerRole,
    Project,
    ProjectStatus,
    SummaryVisibility,
)
from apps.search import statements
from apps.search.index import INDEXED_KINDS, TABLE
from apps.search.selectors import search
from tests.access.factories import AccessGrantFactory
from tests.access.leaks.conftest import PERSONAS, leak_world  # noqa: F401 - a fixture
from tests.accounts.factories import UserFactory
from tests.analyses.factories import AnalysisFactory
from tests.datasets.factories import DatasetFactory
from tests.documents.factories import ProtocolFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import (
    BiomarkerFactory,
    DiseaseAreaFactory,
    PartnerFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search table is PostgreSQL's"
)

MODELS = {
    "project": Project,
    # Datasets, protocols, analyses…: every kind of the registry is in the table.
    **{kind.name: apps.get_model(kind.model) for kind in shared_kinds()},
    "biomarker": Biomarker,
    "deliverable": Deliverable,
    "milestone": Milestone,
    "organisation": Organisation,
}


@pytest.fixture
def world(leak_world, staff):  # noqa: F811 - the imported fixture
    """The leak world, with a row of every tier, status and dissemination (and an analysis of
    every tier) in a members-only project (HUSH) and a public one (RESPIRE), a proposer's own
    proposed project, a pending organisation of a persona's, and an active grant."""
    for project in (leak_world.hush, leak_world.respire):
        for tier in AccessTier.values:
            for status in DatasetStatus.values:
                DatasetFactory(project=project, access_tier=tier, status=status)
            ProtocolFactory(project=project, access_tier=tier)
        for tier in shared_kind("analysis").tiers:
            AnalysisFactory(project=project, access_tier=tier)
        for dissemination in Deliverable.Dissemination.values:
            for status in Deliverable.Status.values:
                DeliverableFactory(project=project, dissemination=dissemination, status=status)
        BiomarkerFactory(project=project)
        MilestoneFactory(project=project)
    proposer = leak_world.personas["non_partner"]
    ProjectFactory(proposed_by=proposer, status=ProjectStatus.PROPOSED, title="Own proposal")
    ProjectFactory(status=ProjectStatus.WITHDRAWN, title="Someone else's withdrawn project")
    pending = OrganisationFactory(name="Pending Labs", status=OrganisationStatus.PENDING)
    AffiliationFactory(user=leak_world.personas["partner_without_grant"], organisation=pending)
    OrganisationFactory(name="Rejected Labs", status=OrganisationStatus.REJECTED)
    AccessGrantFactory(
        request__dataset=leak_world.hush_controlled,
        request__requester=leak_world.personas["partner_without_grant"],
        request__organisation=leak_world.partner_org,
    )
    leak_world.staff = staff
    leak_world.unaffiliated = UserFactory(email="nobody@nowhere.test")
    return leak_world


def people(world) -> dict:
    return {
        **world.personas,
        "insider": world.insider,
        "respire_coordinator": world.respire_coordinator,
        "staff": world.staff,
        "unaffiliated": world.unaffiliated,
    }


def table_visible(user, kind: str) -> set:
    facts, _ = statements.person_facts(user)
    rule = statements.visible_condition(kind, facts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.object_id FROM {TABLE} e WHERE e.kind = %s AND {rule.text}",  # noqa: S608
            [kind, *rule.params],
        )
        return {row[0] for row in cursor.fetchall()}


def policy_visible(user, kind: str) -> set:
    return set(visible(user, MODELS[kind].objects.all()).values_list("id", flat=True))


def assert_same_as_policy(world) -> None:
    for name, user in people(world).items():
        for kind in INDEXED_KINDS:
            expected = policy_visible(user, kind)
            assert table_visible(user, kind) == expected, f"{name} sees other {kind}s"


def test_every_searchable_row_has_one_entry(world):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, count(*) FROM {TABLE} GROUP BY kind")  # noqa: S608
        counts = dict(cursor.fetchall())
    for kind, model in MODELS.items():
        assert counts.get(kind, 0) == model.objects.count(), kind


def test_the_table_rule_lets_each_persona_see_what_the_policy_shows(world):
    assert_same_as_policy(world)


def test_the_rule_follows_a_project_turned_members_only_or_closed(world):
    Project.objects.filter(pk=world.respire.pk).update(summary_visibility=SummaryVisibility.MEMBERS)
    assert_same_as_policy(world)
    world.hush.status = ProjectStatus.WITHDRAWN
    world.hush.save()
    assert_same_as_policy(world)


def test_the_rule_follows_items_changed_in_bulk(world):
    Dataset.objects.filter(project=world.hush).update(
        status=DatasetStatus.PUBLISHED, access_tier=AccessTier.REGISTERED
    )
    Deliverable.objects.filter(project=world.respire).update(
        dissemination=Deliverable.Dissemination.RESTRICTED
    )
    Organisation.objects.filter(status=OrganisationStatus.PENDING).update(
        status=OrganisationStatus.APPROVED
    )
    Analysis.objects.filter(project=world.hush).update(access_tier=AccessTier.REGISTERED)
    assert_same_as_policy(world)


def test_a_grant_that_expires_hides_the_dataset_again(world):
    grantee = world.personas["partner_without_grant"]
    assert world.hush_controlled.pk in table_visible(grantee, "dataset")
    grantee.access_grants.update(valid_until=timezone.now() - datetime.timedelta(seconds=1))
    assert world.hush_controlled.pk not in table_visible(grantee, "dataset")
    assert_same_as_policy(world)


def entry(kind: str, pk) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT title, disease_area_ids, organisation_id, project_public FROM {TABLE} "  # noqa: S608
            "WHERE kind = %s AND object_id = %s",
            [kind, pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(("title", "areas", "organisation", "public"), row, strict=True))


def test_entries_follow_renames_deletions_areas_and_lead_partners(world):
    dataset = DatasetFactory(project=world.respire, title="Nasal brushings")
    assert entry("dataset", dataset.pk)["title"] == "Nasal brushings"
    Dataset.objects.filter(pk=dataset.pk).update(title="Nasal epithelial brushings")
    assert entry("dataset", dataset.pk)["title"] == "Nasal epithelial brushings"

    area = DiseaseAreaFactory(name="Bronchiectasis", slug="bronchiectasis")
    world.respire.disease_areas.add(area)
    assert area.pk in entry("dataset", dataset.pk)["areas"]
    assert area.pk in entry("project", world.respire.pk)["areas"]
    world.respire.disease_areas.remove(area)
    assert area.pk not in entry("dataset", dataset.pk)["areas"]

    new_lead = OrganisationFactory(name="Aardvark Therapeutics")
    PartnerFactory(project=world.hush, organisation=new_lead, role=PartnerRole.LEAD)
    assert entry("project", world.hush.pk)["organisation"] == new_lead.pk  # first by name

    dataset.delete()
    assert entry("dataset", dataset.pk) is None


def test_a_wrong_entry_can_hide_a_result_but_never_show_a_hidden_row(world):
    """The page's rows are read again through the policy: were an entry ever wrong (here made
    public by hand), the hidden dataset would still not be shown."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET project_public = true, tier = 'public', status = 'published' "  # noqa: S608
            "WHERE object_id = %s",
            [world.hush_draft.pk],
        )
    page = search(world.personas["anonymous"], world.hush_draft.title)
    assert world.hush_draft.pk not in {result.id for result in page.results}
