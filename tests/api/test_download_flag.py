"""The dataset list's `can_download` is the policy's download rule.

The listing computes it with `dataset_download_among_visible_q` (the rule less the view rule
the listing already filters by). These tests pin that this is exactly the policy's rule: as
SQL, so that a change to the rule in `apps/access/policy/` fails here rather than leaving the
API's flag behind, and as answers, for every persona of the policy matrix."""

import re

import pytest
from django.core.exceptions import EmptyResultSet

from apps.access.policy import Action, can, rule_for
from apps.access.policy.items import dataset_download_among_visible_q
from apps.access.policy.subjects import is_signed_in, is_staff
from apps.datasets.models import Dataset
from tests.access.test_policy_matrix import ROLES, world  # noqa: F401 (fixture)
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _sql(condition) -> str:
    """The statement filtering datasets by `condition`, minus the moments it was built at."""
    try:
        sql = str(Dataset.objects.filter(condition).query)
    except EmptyResultSet:  # a rule that matches nothing (anonymous downloads)
        return "<nothing>"
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?", "<time>", sql)


@pytest.mark.parametrize("role", ROLES)
def test_view_rule_and_download_among_visible_make_the_policys_download_rule(world, role):  # noqa: F811
    users, _datasets = world
    user = users[role]
    policy = rule_for(Dataset, Action.DOWNLOAD)(user)
    among_visible = dataset_download_among_visible_q(user)
    if is_staff(user) or not is_signed_in(user):
        assert _sql(among_visible) == _sql(policy), "staff and anonymous get the whole rule"
    else:
        view = rule_for(Dataset, Action.VIEW)(user)
        assert _sql(view & among_visible) == _sql(policy)


@pytest.mark.parametrize("role", ROLES)
def test_every_listed_datasets_download_flag_is_what_can_answers(world, role):  # noqa: F811
    users, _datasets = world
    user = users[role]
    client = client_for(None if role == "anonymous" else user)
    rows = client.get("/api/v1/datasets/?page_size=200").json()["results"]
    assert rows, "every persona sees at least the public dataset"
    for row in rows:
        dataset = Dataset.objects.get(pk=row["id"])
        assert row["can_download"] is can(user, Action.DOWNLOAD, dataset), (role, dataset.title)
        detail = client.get(f"/api/v1/datasets/{dataset.pk}/").json()
        assert detail["can_download"] is row["can_download"], (role, dataset.title)
