"""The header's unread count, on every signed-in page: it asks the policy only of the target
kinds the person's own unread notices name, and counts exactly what the whole rule admits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.access.policy import visible
from apps.access.policy.notifications import targets_named
from apps.notifications.models import Notification
from apps.notifications.selectors import unread_count
from tests.access.leaks.conftest import PERSONAS, leak_world  # noqa: F401 - a fixture
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db
SIGNED_IN = tuple(name for name in PERSONAS if name != "anonymous")


@pytest.fixture
def world(leak_world):  # noqa: F811 - the imported fixture
    return leak_world


def _about(user, target=None, **fields):
    return NotificationFactory(
        recipient=user,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        **fields,
    )


def _mixed_inbox(world, user) -> None:
    """Notices about two projects, visible, controlled and draft datasets, an organisation,
    one with no target, and one already read."""
    _about(user)
    _about(user, world.hush)
    _about(user, world.respire)
    _about(user, world.hush_dataset)
    _about(user, world.hush_controlled)
    _about(user, world.hush_draft)
    _about(user, world.hush_lead_org)
    read = _about(user, world.hush_dataset)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)


@pytest.mark.parametrize("persona", [*SIGNED_IN, "insider"])
def test_the_count_is_what_the_whole_rule_admits(world, persona):
    user = world.insider if persona == "insider" else world.personas[persona]
    _mixed_inbox(world, user)
    whole_rule = visible(user, Notification.objects.filter(read_at__isnull=True)).count()
    assert unread_count(user) == whole_rule
    assert whole_rule >= 1  # the target-less notice, at least, is always theirs


def test_the_insider_counts_the_hidden_projects_items_the_outsider_does_not(world):
    outsider = world.personas["non_partner"]
    for user in (world.insider, outsider):
        _mixed_inbox(world, user)
    assert unread_count(world.insider) > unread_count(outsider)


def test_a_notice_of_a_kind_not_named_is_left_out_never_counted(world):
    """Written between reading the kinds and counting: the CASE's default drops it."""
    user = world.insider
    _about(user, world.hush_dataset)
    _about(user, world.hush)
    unread = Notification.objects.filter(read_at__isnull=True)
    with targets_named({"datasets.dataset"}):
        assert visible(user, unread).count() == 1
    assert visible(user, unread).count() == 2


def test_the_count_asks_only_the_kinds_named(world):
    user = world.insider
    _about(user, world.hush_dataset)
    with CaptureQueriesContext(connection) as one_kind:
        assert unread_count(user) == 1
    counted = one_kind.captured_queries[-1]["sql"]
    assert "datasets_dataset" in counted
    assert "milestones_milestone" not in counted and "access_accessgrant" not in counted


def test_nothing_unread_costs_one_statement(world):
    user = world.insider
    read = _about(user, world.hush_dataset)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    with CaptureQueriesContext(connection) as statements:
        assert unread_count(user) == 0
    assert len(statements) == 1
