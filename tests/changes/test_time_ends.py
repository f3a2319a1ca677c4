"""Acceptance 3 of issue #15: access that ends by the clock — a grant's `valid_until`, an
observer's `ends_on` — reaches the holder's feed within one beat interval, with no request
and no sweep (`access.grants_expire` is never run here), and reaches nobody else's feed.

The tests move the clock past the end (time-machine: the policy compares the clock itself),
then run what beat runs — the scheduled task, looked up in the beat schedule by name."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from apps.access.models import AccessGrant, GrantStatus
from apps.changes.models import TimeEndClock
from apps.changes.services import changes_record_time_ends
from apps.core.models import AccessTier
from apps.milestones.models import Deliverable
from apps.projects.models import MembershipRole, SummaryVisibility
from portal.celery import app
from tests.access.factories import AccessGrantFactory, AccessRequestFactory
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.milestones.factories import DeliverableFactory
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BEAT = settings.CELERY_BEAT_SCHEDULE["changes-record-time-ends"]


def _beat_tick() -> None:
    """What celery beat does on each interval: send the scheduled task by its name (run here
    in-process). The worker finds it the way a worker does, by autodiscovery."""
    app.loader.import_default_modules()
    app.tasks[BEAT["task"]].apply().get()


def _head(user) -> str:
    return client_for(user).get("/api/v1/changes/?since=latest").json()["cursor"]


def _feed(user, cursor: str) -> dict:
    body = client_for(user).get(f"/api/v1/changes/?since={cursor}&page_size=200").json()
    return {(item["resource"], item["id"]): item["op"] for item in body["results"]}


def test_the_beat_interval_is_one_minute_at_most():
    assert BEAT["schedule"] <= datetime.timedelta(minutes=1)


@pytest.fixture
def members_only(project):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save()
    return project


def test_a_grant_passing_its_end_reaches_the_holder_and_no_one_else(
    members_only, lead_org, other_org, outsider, coordinator
):
    dataset = DatasetFactory(
        project=members_only,
        steward_organisation=lead_org,
        access_tier=AccessTier.CONTROLLED,
        title="Controlled cohort",
    )
    request = AccessRequestFactory(dataset=dataset, requester=outsider, organisation=other_org)
    grant = AccessGrantFactory(
        request=request, valid_until=timezone.now() + datetime.timedelta(hours=1)
    )
    bystander = UserFactory(email="bystander@diagnostix.test")
    AffiliationFactory(user=bystander, organisation=other_org)
    _beat_tick()  # the clock stands before the end
    people = (outsider, bystander, coordinator)
    heads = {person.pk: _head(person) for person in people}
    assert client_for(outsider).get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200

    with time_machine.travel(grant.valid_until + datetime.timedelta(seconds=20), tick=False):
        _beat_tick()
        holder = _feed(outsider, heads[outsider.pk])
        bystander_feed = _feed(bystander, heads[bystander.pk])
        coordinator_feed = _feed(coordinator, heads[coordinator.pk])

    # The holder loses the dataset and keeps their grant's record (now past its end).
    assert holder[("dataset", str(dataset.pk))] == "tombstone"
    assert holder[("grant", str(grant.pk))] == "upsert"
    # The bystander never saw either: nothing at all. The coordinator still sees the dataset
    # (an upsert of what did not change is harmless): no access loss reaches them.
    assert ("dataset", str(dataset.pk)) not in bystander_feed
    assert ("grant", str(grant.pk)) not in bystander_feed
    assert "tombstone" not in {
        coordinator_feed.get((r, str(pk)))
        for r, pk in (("dataset", dataset.pk), ("grant", grant.pk))
    }
    # No sweep ran: the grant row still says active; only the clock ended it.
    assert AccessGrant.objects.get(pk=grant.pk).status == GrantStatus.ACTIVE


def test_a_second_beat_records_nothing_twice(members_only, lead_org, other_org, outsider):
    dataset = DatasetFactory(
        project=members_only, steward_organisation=lead_org, access_tier=AccessTier.CONTROLLED
    )
    request = AccessRequestFactory(dataset=dataset, requester=outsider, organisation=other_org)
    grant = AccessGrantFactory(
        request=request, valid_until=timezone.now() + datetime.timedelta(hours=1)
    )
    _beat_tick()
    with time_machine.travel(grant.valid_until + datetime.timedelta(seconds=20), tick=False):
        assert changes_record_time_ends() == 1
        assert changes_record_time_ends() == 0
        assert TimeEndClock.objects.get().recorded_until == timezone.now()


def test_an_observer_whose_end_date_passes_loses_restricted_deliverables_in_their_feed(
    members_only, partner_org, partner_org_colleague, coordinator
):
    observer = UserFactory(email="observer@example.ac.uk")
    AffiliationFactory(user=observer, organisation=partner_org)
    MembershipFactory(
        project=members_only,
        user=observer,
        organisation=partner_org,
        role=MembershipRole.OBSERVER,
        ends_on=timezone.localdate(),
    )
    restricted = DeliverableFactory(
        project=members_only, dissemination=Deliverable.Dissemination.RESTRICTED
    )
    _beat_tick()  # the clock stands before the end
    people = (observer, partner_org_colleague, coordinator)
    heads = {person.pk: _head(person) for person in people}
    url = f"/api/v1/deliverables/{restricted.pk}/"
    assert client_for(observer).get(url).status_code == 200

    # The membership holds through its end date: it ends at the next midnight (London).
    midnight = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=1),
        datetime.time(),
        timezone.get_default_timezone(),
    )
    with time_machine.travel(midnight + datetime.timedelta(seconds=20), tick=False):
        _beat_tick()
        assert client_for(observer).get(url).status_code == 404
        observer_feed = _feed(observer, heads[observer.pk])
        colleague_feed = _feed(partner_org_colleague, heads[partner_org_colleague.pk])
        coordinator_feed = _feed(coordinator, heads[coordinator.pk])

    assert observer_feed[("deliverable", str(restricted.pk))] == "tombstone"
    # The colleague (same organisation, no membership) never saw it: not even a tombstone.
    assert ("deliverable", str(restricted.pk)) not in colleague_feed
    assert coordinator_feed.get(("deliverable", str(restricted.pk)), "upsert") == "upsert"


def test_a_recorded_time_end_kicks_the_webhook_dispatcher_after_commit(
    members_only, lead_org, other_org, outsider, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.api import webhooks

    kicks = []
    monkeypatch.setattr(webhooks, "webhooks_kick", lambda: kicks.append("kick"))
    dataset = DatasetFactory(
        project=members_only, steward_organisation=lead_org, access_tier=AccessTier.CONTROLLED
    )
    request = AccessRequestFactory(dataset=dataset, requester=outsider, organisation=other_org)
    grant = AccessGrantFactory(
        request=request, valid_until=timezone.now() + datetime.timedelta(hours=1)
    )
    _beat_tick()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _beat_tick()  # nothing ended yet: no kick
    assert kicks == [] and len(callbacks) == 0
    with (
        time_machine.travel(grant.valid_until + datetime.timedelta(seconds=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _beat_tick()
    assert kicks == ["kick"]
