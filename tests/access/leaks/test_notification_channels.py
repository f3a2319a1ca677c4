"""Issue #15, channel 5, per persona: a notification about something its recipient may no
longer (or never) see reaches them on no channel — daily digest (gathered, then sent), immediate
e-mail, in-app list, unread count, API. The control persona receives the same notice."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.access.models import AccessGrant
from apps.notifications import outbox
from apps.notifications.digest import digest_send_all
from apps.notifications.models import EventType, OutboxEmail
from apps.organisations.models import OrganisationStatus
from tests.access.leaks.conftest import (
    CANARY_CONTROLLED,
    CANARY_DATASET,
    HUSH_ACRONYM,
    PERSONAS,
    as_persona,
    assert_canary,
    assert_no_canary,
)
from tests.accounts.factories import UserFactory
from tests.notifications.factories import NotificationFactory
from tests.organisations.factories import AffiliationFactory

pytestmark = pytest.mark.django_db
SIGNED_IN = tuple(name for name in PERSONAS if name != "anonymous")


def notify(user, dataset, canary: str = CANARY_DATASET):
    """A "dataset published" notice about `dataset` (or a project) for `user` (digest by
    default), written as if they had once been entitled to it."""
    return NotificationFactory(
        recipient=user,
        event_type=EventType.DATASET_PUBLISHED,
        subject=f"Dataset published in {HUSH_ACRONYM}: {canary} cohort",
        body=f"{canary} cohort is available.",
        target_type=dataset._meta.label_lower,
        target_id=str(dataset.pk),
        project=getattr(dataset, "project", dataset),
    )


def deliver_pending() -> None:
    for pk in OutboxEmail.objects.filter(status="pending").values_list("pk", flat=True):
        outbox.outbox_deliver(outbox_id=pk)


def sent_text() -> str:
    return "\n".join(
        f"{m.subject}\n{m.body}\n" + "".join(str(a[0]) for a in m.alternatives) for m in mail.outbox
    )


def outbox_text() -> str:
    return "\n".join(
        f"{row.subject}\n{row.body_text}\n{row.body_html}" for row in OutboxEmail.objects.all()
    )


# --- Digest: checked when gathered ------------------------------------------------------------
@pytest.mark.parametrize("persona", SIGNED_IN)
def test_digest_gathers_no_notice_its_recipient_may_not_see(leak_world, persona):
    user = leak_world.personas[persona]
    notify(user, leak_world.hush_dataset)
    notify(user, leak_world.hush_controlled, CANARY_CONTROLLED)
    notify(leak_world.insider, leak_world.hush_dataset)  # the control, in the same run
    digest_send_all()
    assert not OutboxEmail.objects.filter(recipient=user).exists()
    deliver_pending()
    assert [m.to[0] for m in mail.outbox] == [leak_world.insider.email]
    assert_canary(sent_text(), CANARY_DATASET)
    assert "1 notification" in mail.outbox[0].subject


def test_anonymous_has_no_inbox_and_no_count(leak_world, client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/v1/notifications/").status_code in (401, 403)


# --- Digest: checked again when sent ---------------------------------------------------------
def _gathered_then_lost(world, persona: str):
    """Gather a digest while `persona` may see the dataset, then take the access away as
    life does (suspension, a grant's end). Returns the dataset's canary."""
    user = world.personas[persona]
    if persona == "suspended_member":
        world.lapsed_org.status = OrganisationStatus.APPROVED
        world.lapsed_org.save()
        dataset, canary = world.hush_dataset, CANARY_DATASET
    else:
        AccessGrant.objects.filter(user=user).update(
            valid_until=timezone.now() + datetime.timedelta(days=1)
        )
        dataset, canary = world.hush_controlled, CANARY_CONTROLLED
    notify(user, dataset, canary)
    notify(user, world.respire, "respire-news")  # still visible: the digest keeps this one
    assert digest_send_all() == 1
    assert_canary(outbox_text(), canary)  # gathered while visible
    if persona == "suspended_member":
        world.lapsed_org.status = OrganisationStatus.SUSPENDED
        world.lapsed_org.save()
    else:
        AccessGrant.objects.filter(user=user).update(
            valid_until=timezone.now() - datetime.timedelta(seconds=1)
        )
    return canary


@pytest.mark.parametrize("persona", ["suspended_member", "expired_grantee"])
def test_digest_sent_after_access_ended_drops_the_item_and_its_count(leak_world, persona):
    canary = _gathered_then_lost(leak_world, persona)
    deliver_pending()
    assert len(mail.outbox) == 1
    assert_no_canary(sent_text(), canary)
    assert_canary(sent_text(), "respire-news")
    assert "1 notification" in mail.outbox[0].subject  # not 2
    assert_no_canary(outbox_text(), canary)  # the stored row says what was sent


def test_digest_with_nothing_left_to_say_is_cancelled_not_sent(leak_world):
    user = leak_world.personas["suspended_member"]
    leak_world.lapsed_org.status = OrganisationStatus.APPROVED
    leak_world.lapsed_org.save()
    notify(user, leak_world.hush_dataset)
    assert digest_send_all() == 1
    leak_world.lapsed_org.status = OrganisationStatus.SUSPENDED
    leak_world.lapsed_org.save()
    deliver_pending()
    assert mail.outbox == []
    assert OutboxEmail.objects.get(recipient=user).status == OutboxEmail.Status.CANCELLED


# --- Immediate e-mail ------------------------------------------------------------------------
@pytest.mark.parametrize("persona", SIGNED_IN)
def test_immediate_email_about_a_hidden_item_is_cancelled_at_sending(leak_world, persona):
    user = leak_world.personas[persona]
    notification = notify(user, leak_world.hush_dataset)
    OutboxEmail.objects.create(
        delivery_key=f"notification:{notification.pk}:email",
        recipient=user,
        notification=notification,
        to_address=user.email,
        subject=notification.subject,
        body_text=notification.body,
    )
    deliver_pending()
    assert mail.outbox == []
    assert OutboxEmail.objects.get(recipient=user).status == OutboxEmail.Status.CANCELLED


# --- In-app list, unread count, API ----------------------------------------------------------
@pytest.mark.parametrize("persona", SIGNED_IN)
def test_inbox_unread_count_and_api_leave_out_notices_about_hidden_items(leak_world, persona):
    user = leak_world.personas[persona]
    notify(user, leak_world.hush_dataset)
    notify(user, leak_world.hush_controlled, CANARY_CONTROLLED)
    client = as_persona(leak_world, persona)
    inbox = client.get("/notifications/")
    assert inbox.status_code == 200
    assert_no_canary(inbox.content.decode(), CANARY_DATASET, CANARY_CONTROLLED)
    assert inbox.context["unread_notifications_count"] == 0
    api = client.get("/api/v1/notifications/")
    assert api.status_code == 200
    assert api.json()["results"] == []
    unread = client.get("/api/v1/notifications/", {"unread": "true"})
    assert unread.json()["results"] == []


def test_the_insider_sees_the_notice_and_counts_it(leak_world):
    notify(leak_world.insider, leak_world.hush_dataset)
    client = as_persona(leak_world, "insider")
    inbox = client.get("/notifications/")
    assert_canary(inbox.content.decode(), CANARY_DATASET)
    assert inbox.context["unread_notifications_count"] == 1
    assert len(client.get("/api/v1/notifications/").json()["results"]) == 1


def test_a_digest_run_asks_the_policy_once_per_target_not_once_per_person(leak_world):
    """Ten people with the same notice: the run's policy check is one statement for all."""
    people = [leak_world.insider]
    for n in range(9):
        person = UserFactory(email=f"colleague{n}@hushwell.test")
        AffiliationFactory(user=person, organisation=leak_world.hush_lead_org)
        people.append(person)
    for person in people:
        notify(person, leak_world.hush_dataset)
    with CaptureQueriesContext(connection) as run:
        assert digest_send_all() == 10
    policy_statements = [q for q in run.captured_queries if "stratum_audience" in q["sql"]]
    assert len(policy_statements) == 1
