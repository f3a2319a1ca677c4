import pytest
from django.test import RequestFactory
from django.urls import reverse

from apps.core import views


@pytest.mark.django_db
def test_unknown_page_gets_the_404_page_in_the_site_layout(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert '<main id="main"' in html
    assert reverse("account_login") in html


@pytest.mark.django_db
def test_500_page_renders_without_a_request_context_or_the_database(
    django_assert_num_queries,
):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = views.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in html
    assert '<main id="main"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        (views.bad_request, 400, "could not understand that request"),
        (views.permission_denied, 403, "You cannot do that"),
    ],
)
def test_400_and_403_pages_explain_what_happened(rf, anonymous, handler, status, text):
    request = rf.get("/")
    request.user = anonymous
    response = handler(request, exception=None)
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.django_db
def test_rate_limited_pages_get_a_friendly_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "1/m/ip"}
    url = reverse("account_reset_password")
    client.post(url, {"email": "someone@example.org"})
    response = client.post(url, {"email": "someone-else@example.org"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
