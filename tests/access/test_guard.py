"""The read guard (apps/core/guard.py): a read of an access-governed model that did not pass
through the policy raises, unless it is a system read that names its reason."""

import pytest
from django.apps import apps
from django.db import transaction

from apps.access.policy import _RULES, Action, visible, visible_prefetch
from apps.core.guard import (
    GuardedQuerySet,
    UnscopedRead,
    in_system_read,
    person_reads,
    system_reads,
)
from apps.datasets.models import Dataset
from apps.milestones.models import Deliverable
from apps.organisations.models import Organisation
from apps.projects.models import Membership, Project
from portal.celery import app as celery_app
from tests.datasets.factories import DatasetFactory
from tests.milestones.factories import DeliverableFactory

# Models with a view rule that are read outside the guard, and why.
NOT_GUARDED = {
    "organisations.Organisation": "an organisation's profile is public once approved; every "
    "request reads the person's organisations (MFA by role, affiliation), and the pending "
    "ones are kept out of lists by the organisation selectors",
    "diseases.DiseaseArea": "reference data: every disease area is public",
}
# Governed models the policy reads through its own helpers rather than a view rule.
ALSO_GUARDED = {"access.DataAccessCommittee"}


def _governed_models():
    return {model for (model, action) in _RULES if action == Action.VIEW}


def test_every_model_with_a_view_rule_has_a_guarded_default_manager():
    unguarded = sorted(
        model._meta.label
        for model in _governed_models()
        if not isinstance(model._default_manager.all(), GuardedQuerySet)
        and model._meta.label not in NOT_GUARDED
    )
    assert unguarded == [], "give these models `objects = GuardedManager()`"


def test_the_exemptions_are_real_models_with_view_rules():
    labels = {model._meta.label for model in _governed_models()}
    assert set(NOT_GUARDED) <= labels
    for label in ALSO_GUARDED:
        assert isinstance(apps.get_model(label)._default_manager.all(), GuardedQuerySet)


def test_an_unscoped_read_raises_before_fetching_anything(project):
    DatasetFactory(project=project)
    with person_reads():
        for read in (
            lambda: list(Dataset.objects.all()),
            lambda: Dataset.objects.count(),
            lambda: Dataset.objects.exists(),
            lambda: Dataset.objects.first(),
            lambda: Dataset.objects.get(project=project),
            lambda: list(Dataset.objects.values_list("title", flat=True)),
            lambda: list(Dataset.objects.iterator()),
            lambda: Dataset.objects.in_bulk(),
        ):
            with pytest.raises(UnscopedRead):
                read()


def test_a_reverse_relation_is_guarded_because_a_childs_visibility_is_its_own(project):
    DatasetFactory(project=project)
    with person_reads(), pytest.raises(UnscopedRead):
        list(project.datasets.all())


def test_a_prefetch_of_governed_children_is_guarded_unless_it_asks_the_policy(
    project, partner_member
):
    DatasetFactory(project=project)
    with person_reads():
        projects = visible(partner_member, Project.objects.all())
        with pytest.raises(UnscopedRead):
            list(projects.prefetch_related("datasets"))
        prefetched = list(
            projects.prefetch_related(
                visible_prefetch(partner_member, "datasets", Dataset.objects.all())
            )
        )
    assert [len(p.datasets.all()) for p in prefetched] == [1]


def test_a_visible_queryset_reads_and_stays_readable_when_narrowed(project, partner_member):
    DatasetFactory(project=project, title="Sputum cohort")
    with person_reads():
        rows = visible(partner_member, Dataset.objects.all())
        assert rows.filter(title__startswith="Sputum").count() == 1
        assert list(rows.order_by("title").values_list("title", flat=True)) == ["Sputum cohort"]
        assert rows[:1].get().title == "Sputum cohort"


def test_combining_a_visible_queryset_with_an_unscoped_one_loses_the_mark(project, outsider):
    DatasetFactory(project=project)
    with person_reads():
        mixed = visible(outsider, Dataset.objects.all()) | Dataset.objects.all()
        with pytest.raises(UnscopedRead):
            list(mixed)
        with pytest.raises(UnscopedRead):
            list(visible(outsider, Dataset.objects.all()).union(Dataset.objects.all()))


def test_a_union_led_by_an_ungoverned_queryset_refuses_an_unscoped_governed_part(project, outsider):
    DatasetFactory(project=project)
    # No order inside a union: SQLite refuses ORDER BY in a compound statement's parts.
    ungoverned = Organisation.objects.values("id").order_by()
    with person_reads():
        with pytest.raises(UnscopedRead):
            ungoverned.union(Dataset.objects.values("id"))
        checked = ungoverned.union(visible(outsider, Dataset.objects.values("id")).order_by())
        assert set(ungoverned.values_list("id", flat=True)) <= {row["id"] for row in checked}
        with system_reads("the test names a system read"):
            everything = ungoverned.union(Dataset.objects.values("id").order_by(), all=True)
            assert len(list(everything)) >= 1


def test_a_system_read_names_its_reason(project):
    DatasetFactory(project=project)
    with person_reads():
        with system_reads("the test plays a beat task"):
            assert in_system_read() == "the test plays a beat task"
            assert Dataset.objects.count() == 1
        assert Dataset.objects.system("a sweep counts every row").count() == 1
        with pytest.raises(ValueError):
            system_reads("  ")
        with pytest.raises(ValueError):
            Dataset.objects.system("")


def test_a_request_reads_for_a_person_even_inside_a_system_block():
    with system_reads("an outer block that must not reach the request"):
        with person_reads():
            assert in_system_read() is None
        assert in_system_read() is not None


def test_writes_and_the_reads_django_makes_to_write_are_not_guarded(project, coordinator):
    dataset = DatasetFactory(project=project)
    with person_reads(), transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        locked.full_clean()
        deliverable = DeliverableFactory(project=project)
        deliverable.datasets.set([dataset])
        deliverable.datasets.set([])
        Deliverable.objects.filter(pk=deliverable.pk).update(title="Renamed")
        Membership.objects.filter(project=project).delete()


def test_celery_tasks_run_as_named_system_reads():
    seen = {}

    @celery_app.task(name="tests.guard_probe")
    def probe():
        seen["reason"] = in_system_read()

    with person_reads():
        probe.apply()
    assert seen["reason"] == "Celery task tests.guard_probe"
