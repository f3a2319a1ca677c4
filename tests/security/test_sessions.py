"""Sessions: records, idle timeout, absolute lifetime, sign out everywhere, the security page
and security e-mails (new device, token creation)."""

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.api.tokens import api_token_create
from apps.audit.models import AuditEvent
from apps.security.middleware import (
    SESSION_ROW_CHECKED_KEY,
    SESSION_SEEN_KEY,
    SESSION_STARTED_KEY,
)
from apps.security.models import UserSession

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"


def browser(user_agent=FIREFOX) -> Client:
    return Client(HTTP_USER_AGENT=user_agent)


def sign_in(client, user, password):
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302
    return response


def age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    if "seen" in seconds_ago:
        session[SESSION_SEEN_KEY] = now - seconds_ago["seen"]
    if "checked" in seconds_ago:
        session[SESSION_ROW_CHECKED_KEY] = now - seconds_ago["checked"]
    if "started" in seconds_ago:
        session[SESSION_STARTED_KEY] = now - seconds_ago["started"]
    session.save()


def test_signing_in_records_the_session_with_browser_and_address(partner_member, password):
    client = browser()
    sign_in(client, partner_member, password)
    row = UserSession.objects.get(user=partner_member)
    assert (row.user_agent, row.ip_address, row.ended_at) == (FIREFOX, "127.0.0.1", None)
    assert row.session_key == client.session.session_key


def test_a_session_idle_longer_than_the_timeout_ends(settings, partner_member, password):
    settings.SESSION_IDLE_TIMEOUT = 3600
    client = browser()
    sign_in(client, partner_member, password)
    age_session(client, seen=3601)
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert UserSession.objects.get(user=partner_member).end_reason == "idle"


def test_an_active_session_within_the_idle_timeout_continues(settings, partner_member, password):
    settings.SESSION_IDLE_TIMEOUT = 3600
    client = browser()
    sign_in(client, partner_member, password)
    age_session(client, seen=3500)
    assert client.get("/notifications/").status_code == 200


def test_a_session_older_than_the_absolute_lifetime_ends_even_when_active(
    settings, partner_member, password
):
    settings.SESSION_ABSOLUTE_LIFETIME = 7 * 24 * 3600
    client = browser()
    sign_in(client, partner_member, password)
    age_session(client, started=7 * 24 * 3600 + 1, seen=10)
    response = client.get("/notifications/")
    assert response["Location"].startswith(reverse("account_login"))
    assert UserSession.objects.get(user=partner_member).end_reason == "expired"


def test_an_ended_session_answers_the_api_with_401(settings, partner_member, password):
    settings.SESSION_IDLE_TIMEOUT = 60
    client = browser()
    sign_in(client, partner_member, password)
    age_session(client, seen=61)
    response = client.get("/api/v1/datasets/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one(partner_member, password):
    laptop, phone = browser(FIREFOX), browser(SAFARI)
    sign_in(laptop, partner_member, password)
    sign_in(phone, partner_member, password)

    response = laptop.post(reverse("security:sign_out_everywhere"))

    assert response.status_code == 302
    assert laptop.get("/notifications/").status_code == 200
    assert phone.get("/notifications/").status_code == 302
    assert "_auth_user_id" not in phone.session
    assert UserSession.objects.filter(user=partner_member, ended_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(action="sessions.end_all")
    assert event.details == {"sessions": 1, "kept_current": True}


def test_sign_out_everywhere_needs_a_post(partner_member, password):
    client = browser()
    sign_in(client, partner_member, password)
    assert client.get(reverse("security:sign_out_everywhere")).status_code == 405


def test_the_security_page_lists_sessions_and_active_tokens(partner_member, password):
    laptop, phone = browser(FIREFOX), browser(SAFARI)
    sign_in(phone, partner_member, password)
    sign_in(laptop, partner_member, password)
    issued = api_token_create(user=partner_member, name="LIMS sync", scopes=["read"])
    html = laptop.get(reverse("security:account_security")).content.decode()
    assert "Firefox/133.0" in html and "Safari/604.1" in html
    assert "This browser" in html
    assert "LIMS sync" in html and issued.token.prefix in html
    assert issued.plaintext not in html


def test_the_security_page_asks_anonymous_people_to_sign_in(client):
    response = client.get(reverse("security:account_security"))
    assert response["Location"].startswith(reverse("account_login"))


def test_the_security_page_does_not_show_other_peoples_sessions(partner_member, outsider, password):
    other = browser(SAFARI)
    sign_in(other, outsider, password)
    mine = browser(FIREFOX)
    sign_in(mine, partner_member, password)
    html = mine.get(reverse("security:account_security")).content.decode()
    assert "Safari/604.1" not in html


def test_the_security_page_query_count_does_not_grow_with_sessions(
    partner_member, password, django_assert_max_num_queries
):
    client = browser()
    sign_in(client, partner_member, password)
    for n in range(5):
        sign_in(browser(f"Agent {n}"), partner_member, password)
        api_token_create(user=partner_member, name=f"token {n}", scopes=["read"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("security:account_security")).status_code == 200


def test_a_sign_in_from_a_new_browser_is_e_mailed(
    partner_member, password, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(browser(FIREFOX), partner_member, password)
        sign_in(browser(FIREFOX), partner_member, password)
    assert mailoutbox == []  # the first browser ever, then a known one
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(browser(SAFARI), partner_member, password)
    assert [m.subject for m in mailoutbox] == ["[Stratum] New sign-in to your account"]
    assert "Safari/604.1" in mailoutbox[0].body


def test_creating_a_token_is_e_mailed(
    partner_member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = api_token_create(user=partner_member, name="LIMS sync", scopes=["read"])
    assert [m.to for m in mailoutbox] == [[partner_member.email]]
    assert issued.token.prefix in mailoutbox[0].body
    assert issued.plaintext not in mailoutbox[0].body


def test_an_ended_session_row_signs_the_browser_out_at_the_next_check(partner_member, password):
    client = browser()
    sign_in(client, partner_member, password)
    UserSession.objects.filter(user=partner_member).update(ended_at=timezone.now())
    age_session(client, checked=120)
    response = client.get("/notifications/")
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_a_signed_in_page_reads_the_session_row_at_most_once_a_minute(partner_member, password):
    client = browser()
    sign_in(client, partner_member, password)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/notifications/")
    assert not any("security_usersession" in q["sql"] for q in queries.captured_queries)


def test_a_signed_in_page_writes_the_session_at_most_once_a_minute(partner_member, password):
    client = browser()
    sign_in(client, partner_member, password)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/notifications/")
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert not any("django_session" in sql for sql in writes)

    age_session(client, seen=61)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/notifications/").status_code == 200
    assert any(
        "django_session" in q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]
    )
    assert time.time() - client.session[SESSION_SEEN_KEY] < 5
