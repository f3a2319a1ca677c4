"""The access issue's policy matrix, re-run through the API with each role's own token."""

import pytest

from apps.access.models import RequestStatus
from tests.access.test_policy_matrix import ROLES, ROWS, world  # noqa: F401 (fixture)
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _client(users, role):
    return client_for(None if role == "anonymous" else users[role])


def _call(client, action: str, dataset, in_review):
    if action == "view":
        return client.get(f"/api/v1/datasets/{dataset.pk}/")
    if action == "download":
        return client.get(f"/api/v1/dataset-files/{dataset.files.get().pk}/download/")
    if action == "edit":
        return client.patch(
            f"/api/v1/datasets/{dataset.pk}/", {"description": "Updated by API"}, format="json"
        )
    return client.post(
        f"/api/v1/access-requests/{in_review.pk}/decide/",
        {"decision": "reject", "reason": "Out of scope."},
        format="json",
    )


@pytest.mark.parametrize(("tier", "action"), list(ROWS), ids=[f"{t}-{a}" for t, a in ROWS])
def test_the_api_agrees_with_the_policy_matrix(world, tier, action):  # noqa: F811
    users, datasets = world
    actual, statuses = {}, {}
    dataset = datasets[tier]
    # Looked up once: the one allowed decider's decision takes it out of review.
    in_review = dataset.access_requests.get(status=RequestStatus.IN_REVIEW)
    for role in ROLES:
        response = _call(_client(users, role), action, dataset, in_review)
        statuses[role] = response.status_code
        actual[role] = response.status_code == 200
        if response.status_code != 200:
            assert response["Content-Type"] == "application/problem+json"
            # 409: visible, but the allowed decider already took it out of review.
            assert response.status_code in (401, 403, 404, 409), (role, response.status_code)
    assert actual == ROWS[(tier, action)], statuses


@pytest.mark.parametrize("role", ROLES)
def test_api_lists_agree_with_the_matrix(world, role):  # noqa: F811
    users, _datasets = world
    client = _client(users, role)
    listed = {row["access_tier"] for row in client.get("/api/v1/datasets/").json()["results"]}
    assert listed == {t for (t, a), row in ROWS.items() if a == "view" and row[role]}
    downloadable = {
        row["access_tier"]
        for row in client.get("/api/v1/datasets/").json()["results"]
        if row["can_download"]
    }
    assert downloadable == {t for (t, a), row in ROWS.items() if a == "download" and row[role]}


TIERS = sorted({tier for tier, _action in ROWS})


@pytest.mark.parametrize("tier", TIERS)
def test_uploads_follow_the_matrix_edit_rows(world, tier):  # noqa: F811
    """Uploading a file is editing the dataset: 201 where the matrix allows `edit`; otherwise
    401 anonymous, 403 where the dataset is visible, 404 where it is not."""
    users, datasets = world
    dataset = datasets[tier]
    statuses = {}
    for role in ROLES:
        response = _client(users, role).post(
            f"/api/v1/datasets/{dataset.pk}/files/?filename=results.csv",
            data=b"sample_id,fev1\nS001,2.31\n",
            content_type="text/csv",
        )
        statuses[role] = response.status_code
    expected = {
        role: 201
        if ROWS[(tier, "edit")][role]
        else 401
        if role == "anonymous"
        else 403
        if ROWS[(tier, "view")][role]
        else 404
        for role in ROLES
    }
    assert statuses == expected
    assert dataset.files.count() == 1 + sum(ROWS[(tier, "edit")].values())
