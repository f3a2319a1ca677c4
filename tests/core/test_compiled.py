"""apps.core.compiled: a statement compiled once, executed with its one varying value."""

import pytest
from django.db import connection
from django.db.models import Q

from apps.accounts.models import User
from apps.core.compiled import OneValueStatement, with_literals_except
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


def _postgresql_only():
    if connection.vendor != "postgresql":
        assert with_literals_except(connection, "SELECT %s", [1], {0}) is None
        pytest.skip("the driver's own quoting is PostgreSQL's (psycopg)")


def test_with_literals_the_driver_sends_the_very_same_statement():
    _postgresql_only()
    person = UserFactory(first_name="O'Brien 100%")
    placeholder = "placeholder@example.test"
    query = User.objects.filter(
        email=placeholder,
        first_name__icontains="brien 100%",
        id__in=[person.pk, UserFactory().pk],
        is_active=True,
    ).values_list("email")
    sql, params = query.query.get_compiler(using="default").as_sql()
    slot = next(index for index, param in enumerate(params) if param is placeholder)
    literal = with_literals_except(connection, sql, params, {slot})
    assert literal.count("%s") == 1 and "O''Brien" not in literal  # the value is bound later
    bound = list(params)
    bound[slot] = person.email
    assert connection.ops.compose_sql(literal, [person.email]) == connection.ops.compose_sql(
        sql, bound
    )
    with connection.cursor() as cursor:
        cursor.execute(literal, [person.email])
        assert cursor.fetchall() == [(person.email,)]


def test_with_literals_a_statement_that_does_not_split_is_left_as_it_was():
    _postgresql_only()
    assert with_literals_except(connection, "SELECT %s, %s", [1], set()) is None
