"""RFC 9457 problem details for every error, including the ones Django answers itself."""

import pytest
from django.urls import path
from rest_framework.views import APIView

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def assert_problem(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_an_unknown_api_url_is_a_404_problem():
    assert_problem(client_for().get("/api/v1/no-such-thing/"), 404)


def test_a_malformed_id_is_a_404_problem():
    assert_problem(client_for().get("/api/v1/projects/not-a-uuid/"), 404)


def test_an_invisible_object_is_a_404_like_a_missing_one(outsider, project):
    from apps.projects.models import ProjectStatus

    project.status = ProjectStatus.PROPOSED
    project.save()
    hidden = client_for(outsider).get(f"/api/v1/projects/{project.pk}/")
    missing = client_for(outsider).get("/api/v1/projects/00000000-0000-7000-8000-000000000000/")
    assert assert_problem(hidden, 404) == assert_problem(missing, 404)


def test_a_wrong_method_is_a_405_problem_with_allow(coordinator, project):
    response = client_for(coordinator).delete(f"/api/v1/projects/{project.pk}/")
    assert_problem(response, 405)


def test_a_non_json_body_is_a_415_problem(coordinator, project):
    response = client_for(coordinator).patch(
        f"/api/v1/projects/{project.pk}/", "title=x", content_type="text/plain"
    )
    assert_problem(response, 415)


def test_a_body_over_the_limit_is_a_413_problem(settings, coordinator, project):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client_for(coordinator).patch(
        f"/api/v1/projects/{project.pk}/", {"summary": "x" * 500}, format="json"
    )
    assert_problem(response, 413)


def test_invalid_fields_are_a_400_problem_with_errors_per_field(coordinator, project):
    response = client_for(coordinator).patch(
        f"/api/v1/projects/{project.pk}/", {"summary_visibility": "everyone"}, format="json"
    )
    body = assert_problem(response, 400)
    assert "summary_visibility" in body["errors"]


def test_a_bad_updated_since_is_a_400_problem():
    body = assert_problem(client_for().get("/api/v1/projects/?updated_since=yesterday"), 400)
    assert "updated_since" in body["errors"]


def test_a_forged_cursor_is_a_400_problem():
    assert_problem(client_for().get("/api/v1/projects/?cursor=bm9wZQ"), 400)


def test_a_page_size_over_200_is_a_400_problem():
    assert_problem(client_for().get("/api/v1/datasets/?page_size=201"), 400)


def test_throttled_requests_get_429_with_retry_after(settings, partner_member):
    """(Per token and per address in detail: tests/api/test_throttling.py.)"""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "2/min", "ip": "100/min"},
    }
    client = client_for(partner_member)
    statuses = [client.get("/api/v1/projects/").status_code for _ in range(2)]
    assert statuses == [200, 200]
    response = client.get("/api/v1/projects/")
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


class Boom(APIView):
    def get(self, request):
        raise RuntimeError("secret internals")


urlpatterns = [path("api/v1/boom/", Boom.as_view())]


def test_an_unhandled_error_is_a_500_problem_without_a_stack_trace(settings):
    settings.ROOT_URLCONF = __name__
    client = client_for()
    client.raise_request_exception = False
    response = client.get("/api/v1/boom/")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in body["detail"]
