"""The project page tells the policy a person's standing in one project once
(`known_project(project_facts(user, project))`), and statements constrained to that project use
it instead of subqueries over every project. Those statements must keep exactly the rows the
full rules keep, for every rule about a project's rows, and nothing else may use the facts."""

import pytest
from django.db.models import Q

from apps.access.policy import Action, can, known_project, project_facts, registered, visible
from apps.access.policy.subjects import facts_for
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.milestones.models import Deliverable
from apps.projects.models import (
    MembershipRole,
    Project,
    ProjectStatus,
    SummaryVisibility,
)
from tests.access import test_policy_matrix
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import (
    BiomarkerFactory,
    MembershipFactory,
    ProjectFactory,
    WorkPackageFactory,
)

world = test_policy_matrix.world  # the policy matrix's world, as a fixture here too


def _project_rules():
    """(model, action) for every rule about projects or rows with a `project` foreign key."""
    for model, action in registered():
        if model is Project or any(f.name == "project" for f in model._meta.concrete_fields):
            yield model, action


def _constrained(model, project):
    if model is Project:
        return Project.objects.filter(pk=project.pk)
    return model._default_manager.filter(project=project)


def _rows_of_every_kind(project, partner_org, contributor_org_user):
    """At least one row of each model with a project rule, in every tier and state."""
    for tier in AccessTier.values:
        ProtocolVersionFactory(protocol=ProtocolFactory(project=project, access_tier=tier))
        draft = DatasetFactory(project=project, access_tier=tier, status=DatasetStatus.DRAFT)
        DatasetFileFactory(dataset=draft)
    for dissemination in Deliverable.Dissemination.values:
        for status in (Deliverable.Status.PLANNED, Deliverable.Status.APPROVED):
            DeliverableFactory(
                project=project,
                dissemination=dissemination,
                status=status,
                lead_organisation=partner_org,
                author=contributor_org_user,
            )
    MilestoneFactory(project=project, owner=contributor_org_user, owner_organisation=partner_org)
    WorkPackageFactory(project=project)
    BiomarkerFactory(project=project)


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        (ProjectStatus.ACTIVE, SummaryVisibility.MEMBERS),
        (ProjectStatus.ACTIVE, SummaryVisibility.PUBLIC),
        (ProjectStatus.COMPLETED, SummaryVisibility.PUBLIC),
        (ProjectStatus.PROPOSED, SummaryVisibility.PUBLIC),
    ],
)
def test_statements_about_the_known_project_keep_exactly_the_rows_of_the_full_rules(
    world,
    project,
    partner_org,
    partner_member,
    status,
    summary,
):
    users, _datasets = world
    contributor = UserFactory()
    AffiliationFactory(user=contributor, organisation=partner_org)
    MembershipFactory(
        project=project, user=contributor, organisation=partner_org, role=MembershipRole.CONTRIBUTOR
    )
    users = {**users, "contributor": contributor}
    _rows_of_every_kind(project, partner_org, contributor)
    Project.objects.filter(pk=project.pk).update(status=status, summary_visibility=summary)
    project.refresh_from_db()

    disagreements = []
    for role, user in users.items():
        facts = project_facts(user, project)
        for model, action in _project_rules():
            queryset = _constrained(model, project)
            full = set(visible(user, queryset, action).values_list("pk", flat=True))
            with known_project(facts):
                assert facts_for(queryset) is not None
                known = set(visible(user, queryset, action).values_list("pk", flat=True))
            if known != full:
                disagreements.append(f"{role} {model.__name__}.{action}")
    assert disagreements == []


def test_the_facts_reach_no_statement_about_other_projects(
    world,
    project,
    partner_member,
):
    elsewhere = ProjectFactory(status=ProjectStatus.ACTIVE)
    hidden = DatasetFactory(project=elsewhere, access_tier=AccessTier.CONSORTIUM)
    facts = project_facts(partner_member, project)
    assert facts.insider

    with known_project(facts):
        everywhere = visible(partner_member, Dataset.objects.all())
        either = visible(
            partner_member, Dataset.objects.filter(Q(project=project) | Q(pk=hidden.pk))
        )
        negated = visible(partner_member, Dataset.objects.exclude(project=elsewhere))
        assert facts_for(Dataset.objects.all()) is None
        assert facts_for(Dataset.objects.filter(Q(project=project) | Q(pk=hidden.pk))) is None
        assert not everywhere.filter(pk=hidden.pk).exists()
        assert not either.filter(pk=hidden.pk).exists()
        assert not negated.filter(project=elsewhere).exists()
        assert not can(partner_member, Action.VIEW, hidden)


def test_one_persons_facts_are_never_used_for_another(world, project, partner_member, outsider):
    consortium_only = DatasetFactory(project=project, access_tier=AccessTier.CONSORTIUM)
    with known_project(project_facts(partner_member, project)):
        seen_by_outsider = visible(outsider, Dataset.objects.filter(project=project))
        assert not seen_by_outsider.filter(pk=consortium_only.pk).exists()
        assert (
            visible(partner_member, Dataset.objects.filter(project=project))
            .filter(pk=consortium_only.pk)
            .exists()
        )


def test_the_project_page_asks_about_its_project_once_and_shows_the_consortium_sections(
    client,
    world,
    project,
    partner_member,
    django_assert_max_num_queries,
):
    MilestoneFactory(project=project, title="Cohort of 400 recruited")
    client.force_login(partner_member)
    with django_assert_max_num_queries(30):
        response = client.get(f"/projects/{project.slug}/")
    assert response.status_code == 200
    assert "Cohort of 400 recruited" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        (ProjectStatus.ACTIVE, SummaryVisibility.MEMBERS),
        (ProjectStatus.ACTIVE, SummaryVisibility.PUBLIC),
        (ProjectStatus.PROPOSED, SummaryVisibility.PUBLIC),
    ],
)
def test_questions_about_the_known_project_itself_get_the_full_rules_answers(
    world, project, status, summary, django_assert_num_queries
):
    users, _datasets = world
    Project.objects.filter(pk=project.pk).update(status=status, summary_visibility=summary)
    project.refresh_from_db()
    actions = sorted({action for model, action in registered() if model is Project})
    for role, user in users.items():
        expected = {action: can(user, action, project) for action in actions}
        with known_project(project_facts(user, project)):
            answers = {action: can(user, action, project) for action in actions}
        assert answers == expected, role
    # Settled without SQL for a member: every project rule folds to a constant.
    partner = users["partner"]
    with known_project(project_facts(partner, project)), django_assert_num_queries(0):
        can(partner, Action.VIEW_DETAILS, project)
        can(partner, Action.CONTRIBUTE, project)
        can(partner, Action.MANAGE, project)
