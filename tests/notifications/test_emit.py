"""notification_emit: who gets an in-app row, who gets an e-mail, and when it is queued."""

import pytest

from apps.notifications.models import (
    Delivery,
    EventType,
    Notification,
    NotificationPreference,
    OutboxEmail,
)
from apps.notifications.services import notification_emit
from apps.projects.models import SummaryVisibility
from tests.notifications.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members_only(project):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save()
    return project


@pytest.fixture
def controlled_dataset(members_only, lead_org):
    return DatasetFactory(
        project=members_only, steward_organisation=lead_org, title="Secret cohort RX-7"
    )


def everyone(staff, coordinator, partner_member, partner_org_colleague, outsider, unaffiliated):
    return [staff, coordinator, partner_member, partner_org_colleague, outsider, unaffiliated]


@pytest.mark.parametrize("event_type", EventType.values)
def test_controlled_dataset_notice_never_reaches_people_who_cannot_see_it(
    event_type,
    controlled_dataset,
    staff,
    coordinator,
    partner_member,
    partner_org_colleague,
    outsider,
    unaffiliated,
    queued,
    django_capture_on_commit_callbacks,
):
    people = everyone(
        staff, coordinator, partner_member, partner_org_colleague, outsider, unaffiliated
    )
    for person in people:  # everyone asks for immediate e-mail, so only the policy filters
        NotificationPreference.objects.create(
            user=person, event_type=event_type, delivery=Delivery.IMMEDIATE
        )
    with django_capture_on_commit_callbacks(execute=True):
        notification_emit(
            event_type=event_type,
            recipients=people,
            subject=f"News about {controlled_dataset.title}",
            url="/datasets/x/",
            target=controlled_dataset,
        )
    insiders = {staff.pk, coordinator.pk, partner_member.pk, partner_org_colleague.pk}
    in_app = set(Notification.objects.values_list("recipient_id", flat=True))
    mailed = set(OutboxEmail.objects.values_list("recipient_id", flat=True))
    assert in_app == insiders
    assert mailed == insiders
    assert not OutboxEmail.objects.filter(subject__contains="RX-7", recipient=outsider).exists()
    assert len(queued) == len(insiders)


def test_draft_dataset_notice_reaches_only_editors_and_staff(
    controlled_dataset, staff, coordinator, partner_member, partner_org_colleague, queued
):
    controlled_dataset.status = "draft"
    controlled_dataset.save()
    rows = notification_emit(
        event_type=EventType.DATASET_PUBLISHED,
        recipients=[staff, coordinator, partner_member, partner_org_colleague],
        subject="Draft",
        target=controlled_dataset,
    )
    assert {r.recipient_id for r in rows} == {staff.pk, coordinator.pk, partner_member.pk}


def test_each_recipient_is_notified_once_even_if_listed_twice(partner_member, queued):
    rows = notification_emit(
        event_type=EventType.INVITATION,
        recipients=[partner_member, partner_member, None],
        subject="Hello",
    )
    assert len(rows) == 1


def test_inactive_people_are_not_notified(partner_member, queued):
    partner_member.is_active = False
    partner_member.save()
    assert (
        notification_emit(event_type=EventType.INVITATION, recipients=[partner_member], subject="x")
        == []
    )


def test_digest_and_in_app_preferences_get_no_immediate_email(
    coordinator, partner_member, partner_org_colleague, project, queued
):
    NotificationPreference.objects.create(
        user=partner_member, event_type=EventType.REQUEST_DECIDED, delivery=Delivery.DIGEST
    )
    NotificationPreference.objects.create(
        user=partner_org_colleague, event_type=EventType.REQUEST_DECIDED, delivery=Delivery.IN_APP
    )
    rows = notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[coordinator, partner_member, partner_org_colleague],
        subject="Decided",
        target=project,
    )
    assert len(rows) == 3
    assert list(OutboxEmail.objects.values_list("recipient_id", flat=True)) == [coordinator.pk]


def test_default_preferences_email_decisions_at_once_and_digest_news(
    partner_member, project, queued
):
    notification_emit(
        event_type=EventType.PROTOCOL_VERSION,
        recipients=[partner_member],
        subject="v2",
        target=project,
    )
    assert not OutboxEmail.objects.exists()
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[partner_member],
        subject="ok",
        target=project,
    )
    assert OutboxEmail.objects.count() == 1


def test_emails_are_queued_only_after_commit(
    partner_member, project, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_emit(
            event_type=EventType.REQUEST_DECIDED,
            recipients=[partner_member],
            subject="ok",
            target=project,
        )
        assert queued == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [str(OutboxEmail.objects.get().pk)]


def test_notification_records_project_of_target(controlled_dataset, coordinator, queued):
    (row,) = notification_emit(
        event_type=EventType.DATASET_PUBLISHED,
        recipients=[coordinator],
        subject="Published",
        target=controlled_dataset,
    )
    assert row.project_id == controlled_dataset.project_id
    assert row.target_type == "datasets.dataset"
    assert row.target_id == str(controlled_dataset.pk)


def test_a_target_kind_not_registered_as_notifiable_is_refused_loudly(staff, outsider, queued):
    """The inbox asks each target kind's own view rule (policy/notifications.py); a kind not
    registered there would vanish from its recipients' inboxes, so emitting one fails."""
    from apps.notifications.models import Notification
    from apps.notifications.models import NotificationPreference as UnregisteredModel

    preference = UnregisteredModel.objects.create(
        user=outsider, event_type=EventType.INVITATION, delivery=Delivery.IMMEDIATE
    )
    with pytest.raises(ValueError, match="not a registered notification target"):
        notification_emit(
            event_type=EventType.INVITATION,
            recipients=[staff, outsider],
            subject="About a row with no rule",
            target=preference,
        )
    assert not Notification.objects.exists()


def test_subject_can_be_worded_per_recipient(coordinator, partner_member, project, queued):
    rows = notification_emit(
        event_type=EventType.MEMBERSHIP_CHANGED,
        recipients=[coordinator, partner_member],
        subject=lambda user: f"Hello {user.first_name}",
        target=project,
    )
    assert sorted(r.subject for r in rows) == ["Hello Cora", "Hello Pat"]


def test_large_fan_out_costs_a_fixed_number_of_queries(
    project, partner_org, queued, django_assert_max_num_queries
):
    from tests.accounts.factories import UserFactory
    from tests.organisations.factories import AffiliationFactory

    people = UserFactory.create_batch(50)
    for person in people:
        AffiliationFactory(user=person, organisation=partner_org)
    with django_assert_max_num_queries(8):
        rows = notification_emit(
            event_type=EventType.REQUEST_DECIDED, recipients=people, subject="x", target=project
        )
    assert len(rows) == 50
