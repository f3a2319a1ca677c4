"""apps.core.compiled: a statement compiled once, executed with its one varying value."""

import pytest
from django.db import connection
from django.db.models import Q

from apps.accounts.models import User
from apps.core.compiled import OneValueStatement
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _emails(statement, value) -> list[str]:
    return [row[0] for row in statement.fetchall(connection, value)]


def test_it_answers_what_the_queryset_answers_for_each_value():
    first, second = UserFactory(), UserFactory()
    placeholder = "placeholder@example.test"
    query = User.objects.filter(email=placeholder).values_list("email").query
    statement = OneValueStatement.compile(query.get_compiler(using="default"), placeholder)
    assert _emails(statement, first.email) == [first.email]
    assert _emails(statement, second.email) == [second.email]
    assert _emails(statement, "nobody@example.test") == []


def test_wrapped_it_keeps_the_value_in_its_slot():
    person = UserFactory()
    placeholder = "placeholder@example.test"
    query = User.objects.filter(email=placeholder).values_list("email").query
    inner = OneValueStatement.compile(query.get_compiler(using="default"), placeholder)
    wrapped = inner.inside("SELECT %s, u.* FROM (", ["before"], ") u")
    assert wrapped.fetchall(connection, person.email) == [("before", person.email)]


def test_a_value_bound_twice_or_never_is_refused():
    placeholder = "placeholder@example.test"
    twice = User.objects.filter(Q(email=placeholder) | Q(first_name=placeholder)).query
    with pytest.raises(RuntimeError, match="2 times"):
        OneValueStatement.compile(twice.get_compiler(using="default"), placeholder)
    never = User.objects.filter(email="someone@example.test").query
    with pytest.raises(RuntimeError, match="0 times"):
        OneValueStatement.compile(never.get_compiler(using="default"), placeholder)
