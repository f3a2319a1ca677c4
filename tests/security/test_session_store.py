"""The session store (apps.security.session_store): Django's database sessions read with one
statement composed once. It must read exactly what Django's own store reads: sessions either
store wrote, nothing expired, nothing unknown."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.security import session_store
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


def _signed(data: dict, **overrides) -> str:
    with override_settings(**overrides):
        return DjangoSessionStore().encode(data)


def test_decoding_gives_what_djangos_store_gives_again_and_again():
    big = {"colour": "teal", "notes": ["x" * 40] * 50, "nested": {"a": [1, 2, {"b": None}]}}
    for data in ({"colour": "teal", "nested": {"a": []}}, big):
        text = _signed(data)
        assert text.startswith(".") == (data is big)  # Django's encode compresses the big one
        first, again = SessionStore().decode(text), SessionStore().decode(text)
        assert first == again == DjangoSessionStore().decode(text) == data
        # Each call hands out its own dictionary: a request changing its session changes no
        # other request's.
        first["colour"] = "ochre"
        first["nested"]["a"].append(3)
        assert SessionStore().decode(text) == data


def test_tampered_or_foreign_session_data_is_an_empty_session_every_time(caplog):
    text = _signed({"colour": "teal"})
    assert SessionStore().decode(text) == {"colour": "teal"}  # verified and kept
    payload, stamp, signature = text.rsplit(":", 2)
    tampered = (
        f"{payload}:{stamp}:{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    )
    for candidate in (
        tampered,
        "not even signed",
        _signed({"colour": "teal"}, SECRET_KEY="k" * 50),
    ):
        caplog.clear()
        assert SessionStore().decode(candidate) == {}
        assert SessionStore().decode(candidate) == {}
    assert "Session data corrupted" in caplog.text


def test_a_rotated_secret_reads_old_sessions_through_the_fallbacks_only():
    old_secret = "o" * 50
    text = _signed({"colour": "teal"}, SECRET_KEY=old_secret)
    assert SessionStore().decode(text) == {}
    with override_settings(SECRET_KEY_FALLBACKS=[old_secret]):
        assert SessionStore().decode(text) == {"colour": "teal"}
    # Kept under the secrets that verified it: with the fallback gone, it is refused again.
    assert SessionStore().decode(text) == {}


def test_the_kept_payloads_are_bounded_and_the_least_recently_used_go_first(monkeypatch):
    monkeypatch.setattr(session_store, "_VERIFIED_MAX", 3)
    monkeypatch.setattr(session_store, "_VERIFIED", session_store.OrderedDict())
    texts = [_signed({"n": number}) for number in range(5)]
    for text in texts[:3]:
        SessionStore().decode(text)
    SessionStore().decode(texts[0])  # used again: now the most recent
    for text in texts[3:]:
        SessionStore().decode(text)
    kept = {key[0] for key in session_store._VERIFIED}
    assert kept == {texts[0], texts[3], texts[4]}
    assert [SessionStore().decode(text)["n"] for text in texts] == [0, 1, 2, 3, 4]
