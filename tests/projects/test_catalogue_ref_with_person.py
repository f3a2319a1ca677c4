"""The catalogue's version read with the signed-in person's row or their token's (issue 16: the
fixed cost of being signed in). A list cached under the catalogue version then costs no
statement of its own — and the value is trusted only while nothing has been written on the
connection since it was read; after a write, the database is asked again."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.access.facts import catalogue_ref_seen
from apps.api.tokens import token_find
from apps.projects.page_cache import catalogue_ref, catalogue_ref_for
from apps.security.session_user import _load
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for, token_for
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres_and_redis"),
]


def _statements(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_person_loaded_for_a_session_carries_the_catalogue_version():
    ProjectFactory()
    person = _load(ModelBackend(), UserFactory().pk)
    with CaptureQueriesContext(connection) as captured:
        assert catalogue_ref_for(person) == catalogue_ref_seen(person)
    assert len(captured) == 0
    assert catalogue_ref_seen(person) == catalogue_ref()


def test_a_tokens_holder_carries_the_catalogue_version():
    ProjectFactory()
    holder = token_find(token_for(UserFactory())).user
    assert catalogue_ref_seen(holder) == catalogue_ref()


def test_a_write_after_the_person_was_loaded_makes_the_next_reader_ask_the_database():
    person = _load(ModelBackend(), UserFactory().pk)
    noted = catalogue_ref_seen(person)
    ProjectFactory()  # committed: the catalogue's version moves
    assert catalogue_ref_seen(person) is None
    with CaptureQueriesContext(connection) as captured:
        version, pending = catalogue_ref_for(person)
    assert len(captured) == 1 and version != noted[0] and not pending


def test_inside_a_transaction_that_wrote_a_project_nothing_noted_is_trusted():
    with transaction.atomic():
        ProjectFactory()
        person = _load(ModelBackend(), UserFactory().pk)  # the user's insert is a write too
        person.save(update_fields=["first_name"])
        assert catalogue_ref_seen(person) is None
        assert catalogue_ref_for(person)[1] is True  # pending: read fresh, not from the note


def test_a_signed_in_list_hit_reads_no_catalogue_statement_of_its_own():
    membership = MembershipFactory()
    client = Client()
    client.force_login(membership.user)
    client.get("/datasets/")
    statements = _statements(client, "/datasets/")
    # The session, the person (with their access version and the catalogue's), the unread
    # digest (with the catalogue's, as it always had).
    assert len(statements) == 3, statements
    assert not any(sql.startswith("SELECT (SELECT v.version") for sql in statements)


def test_an_api_list_hit_is_the_token_statement_alone():
    user = MembershipFactory().user
    client = client_for(user)
    client.get("/api/v1/datasets/")
    statements = _statements(client, "/api/v1/datasets/")
    assert len(statements) == 1 and "accounts_apitoken" in statements[0], statements


def test_a_write_by_update_is_seen_by_the_next_signed_in_request():
    project = ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    membership = MembershipFactory(project=project)
    client = Client()
    client.force_login(membership.user)
    assert "Airway stratification" in client.get("/search/", {"q": "airway"}).content.decode()
    type(project).objects.filter(pk=project.pk).update(title="Bronchial stratification")
    body = client.get("/search/", {"q": "bronchial"}).content.decode()
    assert "Bronchial stratification" in body
