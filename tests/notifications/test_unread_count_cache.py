"""The header's unread count from the cache (issue 16: "the unread count comes from the facts
entry, not from queries on every request").

- Coverage by construction: the count through the policy, for notices naming every kind of
  target the notification rule knows, reads only tables that bump the catalogue version
  (`apps.projects.content_versions.BUMPS`) or are exempted with their reason; the person's own
  notices are in the key through their digest.
- Behaviour, on PostgreSQL with Redis: a hit runs no count through the policy; a new notice, a
  notice read or deleted, and a target hidden by `update()` are each seen by the very next
  count.
"""

import uuid

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.access import facts as access_facts_module
from apps.access.policy.notifications import NOTIFICATION_TARGETS
from apps.datasets.models import Dataset, DatasetStatus
from apps.notifications import selectors
from apps.notifications.models import Notification
from apps.notifications.selectors import unread_count
from apps.projects.page_cache import catalogue_ref
from tests.access.leaks.conftest import PERSONAS, leak_world  # noqa: F401  (a fixture)
from tests.notifications.factories import NotificationFactory
from tests.projects.cache_coverage import EXEMPT, assert_every_table_bumps, record_builds

OWN_NOTICES = {
    "notifications_notification": (
        "the person's own unread notices: their digest (how many of each kind, the newest, "
        "their ids) is in the key"
    ),
}


def _about(user, target=None, label: str = ""):
    return NotificationFactory(
        recipient=user,
        target_type=target._meta.label_lower if target is not None else label,
        target_id=str(target.pk) if target is not None else (str(uuid.uuid4()) if label else ""),
    )


@pytest.mark.django_db
def test_every_table_the_count_reads_bumps_the_catalogue(leak_world, monkeypatch):  # noqa: F811
    read = record_builds(monkeypatch, selectors)
    for persona in (*PERSONAS[1:], "insider"):
        user = leak_world.insider if persona == "insider" else leak_world.personas[persona]
        _about(user)
        for label in NOTIFICATION_TARGETS:  # every kind, so every kind's rule is in the SQL
            _about(user, label=label)
        access_facts_module.forget_local_memory()
        assert unread_count(user) >= 1
    target_tables = {django_apps.get_model(label)._meta.db_table for label in NOTIFICATION_TARGETS}
    assert target_tables <= read["unread"], "every kind's rule should have been asked"
    assert_every_table_bumps(read, {**EXEMPT, **OWN_NOTICES})


def _count(user) -> tuple[int, bool]:
    """The count, and whether it was counted through the policy (a miss)."""
    with CaptureQueriesContext(connection) as captured:
        count = unread_count(user)
    counted = any('COUNT(*) AS "__count"' in query["sql"] for query in captured.captured_queries)
    return count, counted


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_each_change_is_counted_by_the_very_next_page(leak_world):  # noqa: F811
    insider = leak_world.insider
    _about(insider)
    _about(insider, leak_world.hush_dataset)
    assert _count(insider) == (2, True)
    assert _count(insider) == (2, False)  # a hit: no count through the policy

    arrived = _about(insider, leak_world.hush)
    assert _count(insider) == (3, True)
    Notification.objects.filter(pk=arrived.pk).update(read_at=timezone.now())
    assert _count(insider)[0] == 2
    _about(insider, leak_world.respire)
    Notification.objects.filter(target_type="", recipient=insider).delete()
    assert _count(insider)[0] == 2  # one in, one out: the digest still tells them apart
    assert _count(insider) == (2, False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_a_target_hidden_by_update_leaves_the_very_next_count(leak_world):  # noqa: F811
    partner = leak_world.personas["partner_without_grant"]  # of RESPIRE's consortium
    _about(partner, leak_world.evidence_dataset)
    assert _count(partner) == (1, True)
    assert _count(partner) == (1, False)
    dataset = Dataset.objects.filter(pk=leak_world.evidence_dataset.pk)
    dataset.update(status=DatasetStatus.DRAFT)
    assert _count(partner)[0] == 0  # the notice left with the dataset's title


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_an_insiders_count_is_never_handed_to_a_persona(leak_world, persona):  # noqa: F811
    outsider = leak_world.personas[persona]
    for user in (leak_world.insider, outsider):
        _about(user, leak_world.hush_draft)
        _about(user, leak_world.hush_dataset)
    unread_count(leak_world.insider)
    assert _count(leak_world.insider)[1] is False
    assert unread_count(outsider) < unread_count(leak_world.insider)


@pytest.mark.django_db
def test_the_compiled_digest_gives_what_the_queryset_gives(leak_world):  # noqa: F811
    insider = leak_world.insider
    for target in (None, leak_world.hush, leak_world.hush_dataset, leak_world.hush_dataset):
        _about(insider, target)
    for _ in range(2):  # compiled on the first call, reused on the second
        compiled, ref = selectors._DIGEST.rows(insider.pk)
        assert sorted(compiled) == sorted(selectors._own_unread_digest_query(insider.pk))
        assert sorted(row[1] for row in compiled) == [1, 1, 2]
        assert ref == catalogue_ref()  # read in the same statement
    assert selectors._DIGEST.rows(leak_world.personas["non_partner"].pk) == ([], None)
