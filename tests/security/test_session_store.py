"""The session store (apps.security.session_store): Django's database sessions read with one
statement composed once. It must read exactly what Django's own store reads: sessions either
store wrote, nothing expired, nothing unknown."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.security.session_store import SessionStore
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_portal_uses_this_store():
    assert settings.SESSION_ENGINE == "apps.security.session_store"


def test_it_reads_a_session_djangos_store_wrote_and_the_other_way_round():
    written_by_django = DjangoSessionStore()
    written_by_django["colour"] = "teal"
    written_by_django.create()
    assert SessionStore(written_by_django.session_key)["colour"] == "teal"

    written_here = SessionStore()
    written_here["colour"] = "ochre"
    written_here.create()
    assert DjangoSessionStore(written_here.session_key)["colour"] == "ochre"


def test_loading_is_one_statement_reading_the_data_only():
    store = SessionStore()
    store["colour"] = "teal"
    store.create()
    with CaptureQueriesContext(connection) as captured:
        assert SessionStore(store.session_key).load() == {"colour": "teal"}
    assert len(captured) == 1
    assert (
        "session_data" in captured[0]["sql"]
        and "expire_date" not in captured[0]["sql"].split("FROM")[0]
    )


def test_an_expired_session_is_empty_and_gets_a_new_key_when_saved():
    store = SessionStore()
    store["colour"] = "teal"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    reloaded = SessionStore(store.session_key)
    assert reloaded.load() == {}
    assert reloaded.session_key is None
    reloaded["colour"] = "ochre"
    reloaded.save()
    assert reloaded.session_key != store.session_key


def test_an_unknown_key_reads_nothing():
    assert SessionStore("x" * 32).load() == {}
    assert SessionStore(None).load() == {}


def test_a_signed_in_session_signs_the_person_in_and_an_expired_one_does_not():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get("/notifications/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
