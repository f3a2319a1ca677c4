"""The batched audience query agrees with `can()` for every persona and kind of target."""

import pytest

from apps.access.policy import can
from apps.core.models import AccessTier
from apps.datasets.models import DatasetStatus
from apps.milestones.models import Deliverable
from apps.notifications.audience import _batch_allowed, who_may_see
from apps.projects.models import SummaryVisibility
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.notifications.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def personas(staff, coordinator, partner_member, partner_org_colleague, outsider, unaffiliated):
    return [staff, coordinator, partner_member, partner_org_colleague, outsider, unaffiliated]


@pytest.fixture
def targets(project, lead_org, other_org):
    hidden = type(project).objects.create(
        title="Members only",
        acronym="HIDDEN",
        slug="hidden",
        summary="x",
        status="active",
        summary_visibility=SummaryVisibility.MEMBERS,
    )
    from apps.projects.models import Partner, PartnerStatus

    Partner.objects.create(project=hidden, organisation=lead_org, status=PartnerStatus.ACTIVE)
    return [
        project,
        hidden,
        DatasetFactory(project=hidden, steward_organisation=lead_org),
        DatasetFactory(
            project=project, steward_organisation=lead_org, access_tier=AccessTier.PUBLIC
        ),
        DatasetFactory(
            project=project, steward_organisation=lead_org, access_tier=AccessTier.REGISTERED
        ),
        DatasetFactory(project=project, steward_organisation=lead_org, status=DatasetStatus.DRAFT),
        MilestoneFactory(project=project),
        DeliverableFactory(project=project, dissemination=Deliverable.Dissemination.RESTRICTED),
        DeliverableFactory(
            project=project,
            dissemination=Deliverable.Dissemination.PUBLIC,
            status=Deliverable.Status.APPROVED,
        ),
        other_org,
    ]


def test_batched_audience_matches_can_for_every_persona_and_target(personas, targets):
    for target in targets:
        expected = [p.pk for p in personas if can(p, "view", target)]
        assert [p.pk for p in who_may_see(personas, target)] == expected, target
        assert [p.pk for p in _batch_allowed(_rule(target), personas, target)] == expected, target


def _rule(target):
    from apps.access.policy import rule_for

    return rule_for(type(target), "view")


def test_audience_is_one_query_per_group_of_flags(personas, targets, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # staff group + everyone else
        who_may_see(personas, targets[2])
