"""The visibility statement's efficiency devices change no answer.

- `one_of` is `IN`: given the person's ids (their access facts) it is one array parameter on
  PostgreSQL, `= ANY(%s)`, so the statement's text does not depend on how many there are;
  given a subquery it is `= ANY(ARRAY(subquery))`, which the planner computes once;
- `shared_subqueries` builds each subquery once while one rule is built (the subquery form,
  `facts_as_subqueries`), and nothing of it outlives that statement."""

import re

import pytest
from django.db import connection

from apps.access.policy import Action, condition, rule_for, visible
from apps.access.policy.subjects import (
    active_organisation_ids,
    facts_as_subqueries,
    shared_subqueries,
)
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
    with facts_as_subqueries():
        subquery = active_organisation_ids(partner_member)
    by_subquery = Organisation.objects.filter(id__one_of=subquery)
    assert set(by_subquery.values_list("pk", flat=True)) == by_in
    sql = str(by_subquery.order_by().query)
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in sql
    assert "ORDER BY" not in sql, "a set needs no order (Organisation's default adds a join)"


def test_one_of_ids_write_the_same_statement_whatever_their_number(lead_org, partner_org):
    one = Organisation.objects.filter(id__one_of=[lead_org.pk]).query.sql_with_params()
    two = Organisation.objects.filter(id__one_of=[lead_org.pk, partner_org.pk])
    sql, _ = two.query.sql_with_params()
    assert set(two.values_list("pk", flat=True)) == {lead_org.pk, partner_org.pk}
    assert not Organisation.objects.filter(id__one_of=[]).exists()
    if connection.vendor == "postgresql":
        assert sql == one[0] and "= ANY(%s)" in sql


def test_one_of_refuses_anything_but_ids_or_a_subquery(partner_member):
    with pytest.raises(TypeError):
        Organisation.objects.filter(id__one_of=str(partner_member.pk)).exists()


@pytest.mark.parametrize("action", [Action.VIEW, Action.DOWNLOAD])
def test_a_shared_build_writes_the_same_statement(partner_member, project, action):
    unshared = Dataset.objects.filter(rule_for(Dataset, action)(partner_member))
    shared = Dataset.objects.filter(condition(partner_member, Dataset, action))
    assert _without_clock(str(shared.query)) == _without_clock(str(unshared.query))


def test_shared_subqueries_live_only_as_long_as_one_statement(outsider, project, lead_org):
    """A rule built after a change sees the change, even inside one request: the access facts
    are read again after any write, and shared subqueries live for one statement."""
    dataset = DatasetFactory(project=project)
    assert not visible(outsider, Dataset.objects.filter(pk=dataset.pk)).exists()
    AffiliationFactory(user=outsider, organisation=lead_org)
    assert visible(outsider, Dataset.objects.filter(pk=dataset.pk)).exists()
    with facts_as_subqueries():
        with shared_subqueries():
            first = active_organisation_ids(outsider)
            assert active_organisation_ids(outsider) is first
        assert active_organisation_ids(outsider) is not first
    Affiliation.objects.filter(user=outsider).delete()
    assert not visible(outsider, Dataset.objects.filter(pk=dataset.pk)).exists()
