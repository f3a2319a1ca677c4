"""The signed-in person and their access version, read by one statement compiled once (issue
16: the fixed cost of being signed in).

Django's `AuthenticationMiddleware` loads the session's person through the backend that signed
them in, `ModelBackend.get_user` for both of ours: an ORM query built and compiled on every
request. The access policy then probes the person's access version with a statement of its own
before it can answer from the cached facts (`apps.access.facts`). Here both come from one
statement, compiled once per process, as the API's token lookup already does.

Everything else is Django's `django.contrib.auth.get_user`, step for step: the session keys,
the backend paths (so no session is signed out by this middleware's arrival or removal), the
backend's `user_can_authenticate`, the session hash checked against the password and the
`SECRET_KEY_FALLBACKS`. A backend whose `get_user` is its own, and any database other than
PostgreSQL, load the person the backend's way.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    _get_user_session_key,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.db import connections, router
from django.db.models import OuterRef, Subquery
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from apps.access.facts import note_read_with_person
from apps.access.models import AccessVersion
from apps.accounts.models import User
from apps.core.compiled import FirstInstance
from apps.projects import catalogue_ref as catalogue_sql


def _person_with_version(pk):
    version = AccessVersion.objects.filter(user_id=OuterRef("pk")).values("version")[:1]
    return (
        User._default_manager.annotate(
            session_access_version=Subquery(version), **catalogue_sql.annotations()
        )
        .filter(pk=pk)
        .order_by()[:1]
    )


# The placeholder reaches PostgreSQL's parameters as this very object (a native uuid).
_PERSON = FirstInstance(_person_with_version, uuid.UUID(int=0))


def _load(backend, user_id):
    """`backend.get_user(user_id)`, with the access version noted when read alongside."""
    alias = router.db_for_read(User)
    if type(backend).get_user is not ModelBackend.get_user or (
        connections[alias].vendor != "postgresql"
    ):
        return backend.get_user(user_id)
    person = _PERSON.first(user_id, using=alias)
    if person is None or not backend.user_can_authenticate(person):
        return None
    note_read_with_person(
        person,
        person.session_access_version,
        person.catalogue_version_seen,
        person.catalogue_pending_seen,
    )
    return person


def _session_verified(request, user) -> bool:
    """Django's check of the session hash, with its rotation to the current secret when the
    hash was made with one of `SECRET_KEY_FALLBACKS`."""
    session_hash = request.session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    session_auth_hash = user.get_session_auth_hash()
    if constant_time_compare(session_hash, session_auth_hash):
        return True
    if any(
        constant_time_compare(session_hash, fallback_auth_hash)
        for fallback_auth_hash in user.get_session_auth_fallback_hash()
    ):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = session_auth_hash
        return True
    return False


def session_user(request):
    """The session's person, or `AnonymousUser`, exactly as `django.contrib.auth.get_user`."""
    try:
        user_id = _get_user_session_key(request)
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = _load(load_backend(backend_path), user_id)
    if user is None:
        return AnonymousUser()
    if hasattr(user, "get_session_auth_hash") and not _session_verified(request, user):
        request.session.flush()
        return AnonymousUser()
    return user


def _cached_session_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)
    return request._cached_user


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's `AuthenticationMiddleware` with the person read by `session_user`."""

    def process_request(self, request):
        super().process_request(request)

        def resolve():
            user = _cached_session_user(request)
            # Once read, `request.user` is the person itself: every attribute read through
            # the lazy proxy costs two more Python calls (over a hundred on a page). Only
            # while it is still this proxy: a sign-in or sign-out meanwhile set their own.
            if request.__dict__.get("user") is lazy:
                request.user = user
            return user

        lazy = SimpleLazyObject(resolve)
        request.user = lazy
