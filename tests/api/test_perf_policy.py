"""The visibility statement's efficiency devices change no answer.

- `one_of` is `IN (subquery)`, written `= ANY(ARRAY(subquery))` on PostgreSQL so the planner
  computes the user's small sets once per statement;
- `shared_subqueries` builds each of the user's subqueries once while one rule is built, and
  nothing of it outlives that statement."""

import re

import pytest
from django.db import connection

from apps.access.policy import Action, condition, rule_for, visible
from apps.access.policy.subjects import active_organisation_ids, shared_subqueries
from apps.datasets.models import Dataset
from apps.organisations.models import Affiliation, Organisation
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _without_clock(sql: str) -> str:
    """The statement minus the moments it was built at (grants compare with now)."""
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?", "<time>", sql)


def test_one_of_selects_what_in_selects(partner_member, lead_org):
    OrganisationFactory()
    mine = active_organisation_ids(partner_member)
    by_one_of = set(Organisation.objects.filter(id__one_of=mine).values_list("pk", flat=True))
    by_in = set(Organisation.objects.filter(id__in=mine).values_list("pk", flat=True))
    assert by_one_of == by_in and by_in
    sql = str(Organisation.objects.filter(id__one_of=mine).order_by().query)
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in sql
    assert "ORDER BY" not in sql, "a set needs no order (Organisation's default adds a join)"


def test_one_of_refuses_a_plain_list(partner_member):
    with pytest.raises(TypeError):
        Organisation.objects.filter(id__one_of=[partner_member.pk]).exists()


@pytest.mark.parametrize("action", [Action.VIEW, Action.DOWNLOAD])
def test_a_shared_build_writes_the_same_statement(partner_member, project, action):
    unshared = Dataset.objects.filter(rule_for(Dataset, action)(partner_member))
    shared = Dataset.objects.filter(condition(partner_member, Dataset, action))
    assert _without_clock(str(shared.query)) == _without_clock(str(unshared.query))


def test_shared_subqueries_live_only_as_long_as_one_statement(outsider, project, lead_org):
    """A rule built after a change sees the change: nothing is cached between statements,
    even inside one request."""
    dataset = DatasetFactory(project=project)
    assert not visible(outsider, Dataset.objects.filter(pk=dataset.pk)).exists()
    AffiliationFactory(user=outsider, organisation=lead_org)
    assert visible(outsider, Dataset.objects.filter(pk=dataset.pk)).exists()
    with shared_subqueries():
        first = active_organisation_ids(outsider)
        assert active_organisation_ids(outsider) is first
    assert active_organisation_ids(outsider) is not first
    Affiliation.objects.filter(user=outsider).delete()
    assert not visible(outsider, Dataset.objects.filter(pk=dataset.pk)).exists()
