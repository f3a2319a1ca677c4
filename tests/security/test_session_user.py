"""The session's person (apps.security.session_user): Django's `get_user`, step for step, with
the person and their access version read by one statement compiled once."""

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user, login
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.access.facts import access_facts
from apps.accounts.models import User
from apps.security.session_store import SessionStore
from apps.security.session_user import SessionAuthenticationMiddleware, session_user
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ALLAUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _signed_in_key(person, backend: str) -> str:
    """A stored session of `person`, signed in through `backend`; its key."""
    request = RequestFactory().get("/")
    request.session = SessionStore()
    login(request, person, backend=backend)
    request.session.save()
    return request.session.session_key


def _request(session_key: str):
    request = RequestFactory().get("/")
    request.session = SessionStore(session_key)
    return request


def _outcome(load, session_key: str) -> tuple:
    """Who `load` found, and what it left of the session: (person's pk or None, whether the
    session still exists, its hash)."""
    request = _request(session_key)
    user = load(request)
    if request.session.session_key:
        request.session.save()
    return (
        user.pk if user.is_authenticated else None,
        request.session.session_key is not None,
        request.session.get(HASH_SESSION_KEY),
    )


def _same_as_django(session_key_for) -> None:
    """`session_user` and Django's `get_user`, each given its own copy of the same session,
    find the same person and leave the session in the same state."""
    ours = _outcome(session_user, session_key_for())
    djangos = _outcome(get_user, session_key_for())
    assert ours == djangos


@pytest.mark.parametrize("backend", [MODEL_BACKEND, ALLAUTH_BACKEND])
def test_it_finds_the_person_signed_in_through_either_backend(backend):
    person = UserFactory()
    found = session_user(_request(_signed_in_key(person, backend)))
    assert found.pk == person.pk
    assert found.email == person.email and found.created_at == person.created_at
    _same_as_django(lambda: _signed_in_key(person, backend))


def test_a_password_changed_since_sign_in_ends_the_session_as_django_does():
    person = UserFactory()
    keys = [_signed_in_key(person, MODEL_BACKEND) for _ in range(2)]
    person.set_password("a-new-long-passphrase-7")
    person.save()
    assert _outcome(session_user, keys[0])[:2] == (None, False)
    assert _outcome(session_user, keys[0]) == _outcome(get_user, keys[1])


def test_a_session_signed_under_a_fallback_secret_is_kept_and_moved_to_the_current_one(
    settings,
):
    person = UserFactory()
    old_secret, new_secret = settings.SECRET_KEY, "a-new-secret-key-" + "x" * 50
    keys = [_signed_in_key(person, MODEL_BACKEND) for _ in range(2)]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new_secret, [old_secret]
    ours, djangos = _outcome(session_user, keys[0]), _outcome(get_user, keys[1])
    assert ours == djangos
    assert (
        ours[0] == person.pk and ours[2] == User.objects.get(pk=person.pk).get_session_auth_hash()
    )


def test_an_inactive_person_is_anonymous():
    person = UserFactory()
    key = _signed_in_key(person, MODEL_BACKEND)
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert not session_user(_request(key)).is_authenticated
    _same_as_django(lambda: _signed_in_key(person, MODEL_BACKEND))


def test_a_deleted_person_an_unknown_backend_and_no_sign_in_are_anonymous():
    person = UserFactory()
    key = _signed_in_key(person, MODEL_BACKEND)
    stranger = _signed_in_key(UserFactory(), MODEL_BACKEND)
    store = SessionStore(stranger)
    store[BACKEND_SESSION_KEY] = "some.removed.Backend"
    store.save()
    User.objects.filter(pk=person.pk).delete()
    assert not session_user(_request(key)).is_authenticated
    assert not session_user(_request(stranger)).is_authenticated
    empty = SessionStore()
    empty.save()
    assert not session_user(_request(empty.session_key)).is_authenticated
    without_hash = _signed_in_key(UserFactory(), MODEL_BACKEND)
    store = SessionStore(without_hash)
    del store[HASH_SESSION_KEY]
    store.save()
    assert _outcome(session_user, without_hash)[:2] == (None, False)


def test_the_portal_reads_the_person_through_it():
    assert "apps.security.session_user.SessionAuthenticationMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.AuthenticationMiddleware" not in settings.MIDDLEWARE


def test_a_page_request_is_signed_in_by_it(client):
    person = UserFactory()
    client.force_login(person)
    response = client.get("/account/security/")
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == person.pk
    assert client.session[SESSION_KEY] == str(person.pk)


@pytest.mark.usefixtures("postgres_and_redis")
def test_the_person_and_their_access_version_are_one_statement():
    person = UserFactory()
    key = _signed_in_key(person, ALLAUTH_BACKEND)
    access_facts(session_user(_request(key)))  # the facts are now cached under the version
    for _ in range(2):  # compiled on first use, then only executed
        request = _request(key)
        request.session.get(SESSION_KEY)  # the session itself is read before counting
        with CaptureQueriesContext(connection) as queries:
            user = session_user(request)
            facts = access_facts(user)
        assert facts.user_pk == person.pk
        assert len(queries) == 1, [query["sql"] for query in queries]
        assert "access_accessversion" in queries[0]["sql"]


def _through_middleware(session_key: str):
    request = _request(session_key)
    SessionAuthenticationMiddleware(lambda r: None).process_request(request)
    return request


def test_once_read_request_user_is_the_person_itself():
    person = UserFactory()
    request = _through_middleware(_signed_in_key(person, MODEL_BACKEND))
    assert type(request.user).__name__ == "SimpleLazyObject"
    assert request.user.pk == person.pk  # the first read loads the person
    assert type(request.user) is User and request.user.pk == person.pk


def test_a_person_set_during_the_request_is_not_replaced_by_a_late_read_of_the_proxy():
    someone, other = UserFactory(), UserFactory()
    request = _through_middleware(_signed_in_key(someone, MODEL_BACKEND))
    proxy = request.user  # held by something before the request's person was set
    request.user = other  # as a sign-in, or code acting for another person, sets it
    assert proxy.pk == someone.pk  # the proxy still reads the session's person …
    assert request.user is other  # … and leaves the request's own setting alone
