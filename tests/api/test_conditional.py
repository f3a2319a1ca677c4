"""ETag / If-None-Match / If-Match (DESIGN.md §4)."""

import pytest

from apps.projects.models import Project
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_detail_carries_an_etag_and_a_matching_if_none_match_gets_304(partner_member, project):
    client = client_for(partner_member)
    first = client.get(f"/api/v1/projects/{project.pk}/")
    etag = first["ETag"]
    assert etag.startswith('"')
    again = client.get(f"/api/v1/projects/{project.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""


def test_the_etag_changes_when_the_representation_changes(partner_member, project):
    client = client_for(partner_member)
    etag = client.get(f"/api/v1/projects/{project.pk}/")["ETag"]
    Project.objects.filter(pk=project.pk).update(title="Renamed")
    response = client.get(f"/api/v1/projects/{project.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_write_with_a_stale_if_match_gets_412_and_changes_nothing(coordinator, project):
    client = client_for(coordinator)
    stale = client.get(f"/api/v1/projects/{project.pk}/")["ETag"]
    Project.objects.filter(pk=project.pk).update(summary="Changed by someone else.")
    before = Project.objects.get(pk=project.pk)
    response = client.patch(
        f"/api/v1/projects/{project.pk}/",
        {"title": "Mine"},
        format="json",
        HTTP_IF_MATCH=stale,
    )
    assert response.status_code == 412
    assert response["Content-Type"] == "application/problem+json"
    after = Project.objects.get(pk=project.pk)
    assert (after.title, after.updated_at) == (before.title, before.updated_at)


def test_a_write_with_the_current_if_match_succeeds_and_returns_the_new_etag(coordinator, project):
    client = client_for(coordinator)
    etag = client.get(f"/api/v1/projects/{project.pk}/")["ETag"]
    response = client.patch(
        f"/api/v1/projects/{project.pk}/", {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Mine"
    assert response["ETag"] != etag


def test_a_contributor_may_not_edit_the_project(partner_member, project):
    response = client_for(partner_member).patch(
        f"/api/v1/projects/{project.pk}/", {"title": "Mine"}, format="json"
    )
    assert response.status_code == 403
