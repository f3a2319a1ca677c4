"""Milestone and deliverable state machines, with their domain rules."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.milestones import services
from apps.milestones.models import Deliverable, MilestoneStatus
from apps.projects.models import MembershipRole
from tests.accounts.factories import UserFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import MembershipFactory, ProjectFactory, WorkPackageFactory

pytestmark = pytest.mark.django_db
FUTURE = timezone.localdate() + datetime.timedelta(days=60)


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, due_date=FUTURE)


def test_coordinator_creates_a_milestone_owned_by_a_partner(
    project, coordinator, partner_member, partner_org
):
    milestone = services.milestone_create(
        project=project,
        actor=coordinator,
        title="Assay locked",
        due_date=FUTURE,
        owner=partner_member,
        owner_organisation=partner_org,
    )
    assert milestone.status == MilestoneStatus.PLANNED
    assert AuditEvent.objects.filter(
        action="milestone.create", target_id=str(milestone.pk)
    ).exists()


def test_owner_must_be_a_project_member_and_organisation_a_partner(
    project, coordinator, outsider, other_org
):
    with pytest.raises(ValidationError) as error:
        services.milestone_create(
            project=project, actor=coordinator, title="x", due_date=FUTURE, owner=outsider
        )
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.milestone_create(
            project=project,
            actor=coordinator,
            title="x",
            due_date=FUTURE,
            owner_organisation=other_org,
        )
    assert "owner_organisation" in error.value.message_dict


def test_status_moves_forward_with_a_note_in_the_history(milestone, partner_member):
    services.milestone_set_status(
        milestone=milestone, actor=partner_member, to_status="in_progress", note="Started"
    )
    services.milestone_set_status(
        milestone=milestone, actor=partner_member, to_status="achieved", note="Done"
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.ACHIEVED
    assert milestone.status_changed_on == timezone.localdate()
    assert [c.to_status for c in milestone.changes.order_by("created_at")] == [
        "in_progress",
        "achieved",
    ]


def test_an_achieved_milestone_cannot_go_back(milestone, coordinator):
    services.milestone_set_status(milestone=milestone, actor=coordinator, to_status="achieved")
    with pytest.raises(ValidationError):
        services.milestone_set_status(
            milestone=milestone, actor=coordinator, to_status="in_progress"
        )


def test_missing_a_milestone_needs_a_reason(milestone, coordinator):
    with pytest.raises(ValidationError) as error:
        services.milestone_set_status(
            milestone=milestone, actor=coordinator, to_status="missed", note=" "
        )
    assert "note" in error.value.message_dict


def test_deferral_needs_a_later_date_and_keeps_the_old_one(milestone, coordinator):
    with pytest.raises(ValidationError):
        services.milestone_defer(
            milestone=milestone, actor=coordinator, new_due_date=FUTURE, note="why"
        )
    with pytest.raises(ValidationError):
        services.milestone_defer(
            milestone=milestone,
            actor=coordinator,
            new_due_date=FUTURE + datetime.timedelta(days=5),
            note="",
        )
    services.milestone_defer(
        milestone=milestone,
        actor=coordinator,
        new_due_date=FUTURE + datetime.timedelta(days=30),
        note="Supplier late",
    )
    milestone.refresh_from_db()
    change = milestone.changes.get()
    assert milestone.status == MilestoneStatus.DEFERRED
    assert (change.old_due_date, change.new_due_date) == (
        FUTURE,
        FUTURE + datetime.timedelta(days=30),
    )


def test_milestone_links_only_items_of_its_own_project(project, coordinator):
    from tests.notifications.factories import DatasetFactory

    foreign = DatasetFactory(project=ProjectFactory())
    with pytest.raises(ValidationError) as error:
        services.milestone_create(
            project=project, actor=coordinator, title="x", due_date=FUTURE, datasets=[foreign]
        )
    assert "datasets" in error.value.message_dict
    wp = WorkPackageFactory(project=ProjectFactory())
    with pytest.raises(ValidationError):
        services.milestone_create(
            project=project, actor=coordinator, title="x", due_date=FUTURE, work_package=wp
        )


def test_editing_links_keeps_the_ones_the_editor_is_not_shown(
    milestone, project, coordinator, partner_org
):
    from apps.datasets.models import DatasetStatus
    from tests.datasets.factories import DatasetFactory

    published = DatasetFactory(project=project, title="Published cohort")
    draft = DatasetFactory(project=project, title="Draft cohort", status=DatasetStatus.DRAFT)
    services.milestone_update(milestone=milestone, actor=coordinator, datasets=[published, draft])
    viewer = UserFactory()
    AffiliationFactory(user=viewer, organisation=partner_org)
    MembershipFactory(
        project=project, user=viewer, organisation=partner_org, role=MembershipRole.VIEWER
    )

    # The viewer is shown the published dataset only: unticking it leaves the draft linked.
    services.milestone_update(milestone=milestone, actor=viewer, datasets=[])
    linked = milestone.datasets.system("the test reads the links it wrote")
    assert list(linked.values_list("title", flat=True)) == ["Draft cohort"]

    # The coordinator sees both, so their empty choice removes both.
    services.milestone_update(milestone=milestone, actor=coordinator, datasets=[])
    assert not milestone.datasets.system("the test reads the links it wrote").exists()


# --- Deliverables ---------------------------------------------------------------------------
@pytest.fixture
def deliverable(project, partner_member, coordinator):
    return services.deliverable_create(
        project=project,
        actor=coordinator,
        code="D2.1",
        title="Assay validation report",
        summary="Analytical validation of the sputum assay.",
        due_date=FUTURE,
        author=partner_member,
        dissemination=Deliverable.Dissemination.PUBLIC,
    )


def test_deliverable_goes_from_planned_to_submitted(deliverable, partner_member, coordinator):
    services.deliverable_start(deliverable=deliverable, actor=partner_member)
    services.deliverable_request_review(deliverable=deliverable, actor=partner_member)
    services.deliverable_approve(deliverable=deliverable, actor=coordinator)
    services.deliverable_submit(deliverable=deliverable, actor=coordinator)
    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.SUBMITTED
    assert (
        deliverable.approver == coordinator and deliverable.approved_at and deliverable.submitted_at
    )


def test_the_author_cannot_approve_their_own_deliverable(deliverable, partner_member, project):
    partner_member.memberships.update(role=MembershipRole.COORDINATOR)
    services.deliverable_start(deliverable=deliverable, actor=partner_member)
    services.deliverable_request_review(deliverable=deliverable, actor=partner_member)
    with pytest.raises(ValidationError, match="someone else"):
        services.deliverable_approve(deliverable=deliverable, actor=partner_member)


def test_approver_cannot_be_named_as_the_author(project, coordinator, partner_member):
    with pytest.raises(ValidationError) as error:
        services.deliverable_create(
            project=project,
            actor=coordinator,
            code="D9.9",
            title="x",
            due_date=FUTURE,
            author=partner_member,
            approver=partner_member,
        )
    assert "approver" in error.value.message_dict


def test_only_the_named_approver_approves(
    deliverable, coordinator, project, lead_org, partner_member
):
    named = UserFactory()
    AffiliationFactory(user=named, organisation=lead_org)
    MembershipFactory(project=project, user=named, organisation=lead_org)
    services.deliverable_update(deliverable=deliverable, actor=coordinator, approver=named)
    services.deliverable_start(deliverable=deliverable, actor=partner_member)
    services.deliverable_request_review(deliverable=deliverable, actor=partner_member)
    with pytest.raises(ValidationError, match="named approver"):
        services.deliverable_approve(deliverable=deliverable, actor=coordinator)
    services.deliverable_approve(deliverable=deliverable, actor=named)


def test_returning_needs_a_reason_and_clears_the_approval(deliverable, coordinator, partner_member):
    services.deliverable_start(deliverable=deliverable, actor=partner_member)
    services.deliverable_request_review(deliverable=deliverable, actor=partner_member)
    with pytest.raises(ValidationError):
        services.deliverable_return(deliverable=deliverable, actor=coordinator, reason="")
    services.deliverable_return(deliverable=deliverable, actor=coordinator, reason="Add the CIs")
    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.IN_PREPARATION


def test_deliverable_needs_a_due_date_or_month(project, coordinator):
    with pytest.raises(ValidationError):
        services.deliverable_create(project=project, actor=coordinator, code="D1.1", title="x")
    assert services.deliverable_create(
        project=project, actor=coordinator, code="D1.1", title="x", due_month=18
    )


def test_skipping_review_is_refused(project):
    deliverable = DeliverableFactory(project=project, status=Deliverable.Status.IN_PREPARATION)
    with pytest.raises(ValidationError):
        services.deliverable_submit(deliverable=deliverable, actor=None)
