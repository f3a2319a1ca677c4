"""The one access-policy module (DESIGN.md §3). Every view, API endpoint, download, search,
notification, task and admin list asks it; nothing else decides who sees what.

A rule is a function `(user) -> Q` registered for a (model, action) pair. The same Q serves
both questions, so they can never disagree:

- `visible(user, queryset, action="view")` filters in SQL (one statement, no Python loops);
- `can(user, action, obj)` asks whether `obj` survives that filter.

Every rule lives beside this module, by domain (`projects.py`, `project_parts.py`, `items.py`,
`analyses.py`,
`requests.py`, `organisations.py`, `reference.py`, …), and is imported at the bottom so that it
registers itself: no app registers a rule of its own, so this package is the one place to read
who may do what.
"""

from collections.abc import Callable
from enum import StrEnum

from django.db import models
from django.db.models import Q
from django.http import Http404


class Action(StrEnum):
    VIEW = "view"  # metadata appears in lists and its page answers
    VIEW_DETAILS = "view_details"  # a project's full page, beyond the public card
    DOWNLOAD = "download"  # file content
    CONTRIBUTE = "contribute"  # add datasets, protocols, versions, files
    EDIT = "edit"  # change the item itself
    MANAGE = "manage"  # partners, members, committee, milestones
    MODERATE = "moderate"  # portal staff decisions (activate, suspend)
    REQUEST_ACCESS = "request_access"  # file a controlled-access request
    DECIDE = "decide"  # decide an access request
    VIEW_PURPOSE = "view_purpose"  # read a request's confidential purpose


Rule = Callable[[object], Q]
_RULES: dict[tuple[type[models.Model], str], Rule] = {}
NOTHING = Q(pk__in=[])


def rule(model: type[models.Model], *actions: str):
    """Register `func(user) -> Q` as the rule for `model` and each of `actions`."""

    def register(func: Rule) -> Rule:
        for action in actions:
            key = (model, str(action))
            if key in _RULES:
                raise RuntimeError(f"Two access rules for {model.__name__}.{action}")
            _RULES[key] = func
        return func

    return register


def registered() -> list[tuple[type[models.Model], str]]:
    """Every (model, action) pair that has a rule, for tests that walk the whole policy."""
    return list(_RULES)


def rule_for(model: type[models.Model], action: str) -> Rule:
    try:
        return _RULES[(model, str(action))]
    except KeyError:
        raise LookupError(f"No access rule for {model.__name__}.{action}: deny by design") from None


def visible(user, queryset: models.QuerySet, action: str = Action.VIEW) -> models.QuerySet:
    """`queryset` narrowed to the rows `user` may `action`, as one SQL filter."""
    from apps.access.policy.subjects import facts_for

    return _checked(queryset.filter(condition(user, queryset.model, action, facts_for(queryset))))


def _checked(queryset: models.QuerySet) -> models.QuerySet:
    """Mark a queryset the policy has filtered, so the read guard lets it fetch rows."""
    mark = getattr(queryset, "policy_checked", None)
    return mark() if mark is not None else queryset


def condition(user, model: type[models.Model], action: str = Action.VIEW, known=None) -> Q:
    """The rule's Q for `user`, its repeated subqueries built once (see `shared_subqueries`);
    `known`: facts about the one project all the rows belong to (`subjects.facts_for`)."""
    from apps.access.policy.subjects import facts_in_force, shared_subqueries

    with shared_subqueries(), facts_in_force(known):
        return rule_for(model, action)(user)


def visible_prefetch(user, lookup: str, queryset: models.QuerySet, **kwargs) -> models.Prefetch:
    """`Prefetch(lookup)` of only the related rows `user` may see: a child's visibility is its
    own, not its parent's (a public project's memberships are not public)."""
    return models.Prefetch(lookup, queryset=visible(user, queryset), **kwargs)


def annotate_allowed(user, queryset: models.QuerySet, action: str, name: str) -> models.QuerySet:
    """`queryset` with a boolean column `name`: whether `user` may `action` each row.

    The same rule as `visible()` and `can()`, evaluated inside the statement that lists the
    rows, so a page learns (say) which of its rows may be downloaded without a second
    statement. SQL NULL (unknown) reads as False, exactly as a WHERE clause drops such a row."""
    allowed = models.ExpressionWrapper(
        condition(user, queryset.model, action), output_field=models.BooleanField()
    )
    return queryset.annotate(**{name: allowed})


def can(user, action: str, obj: models.Model) -> bool:
    if obj is None or obj.pk is None:
        return False
    from apps.access.policy.subjects import facts_for, truth_of

    # The policy's own probe: the rule below is what decides, so the read is the policy's.
    rows = _checked(type(obj)._default_manager.filter(pk=obj.pk))
    known = facts_for(rows)
    rule_q = condition(user, rows.model, action, known)
    if known is not None:
        # Asked of the page's known project itself: the facts may settle it without SQL.
        settled = truth_of(rule_q)
        if settled is not None:
            return settled
    return rows.filter(rule_q).exists()


def get_for_user(user, queryset: models.QuerySet, *, action: str = Action.VIEW, **lookup):
    """The one object matching `lookup` that `user` may see, else 404 — exactly as if it did
    not exist. When `action` is stronger than view and the object is visible but the action is
    not allowed, raise PermissionDenied (403) instead: the caller already knows it exists."""
    from django.core.exceptions import PermissionDenied

    obj = visible(user, queryset, Action.VIEW).filter(**lookup).first()
    if obj is None:
        raise Http404("Not found")
    if action != Action.VIEW and not can(user, action, obj):
        raise PermissionDenied
    return obj


from apps.access.policy import (  # noqa: E402,F401  (rules register on import)
    analyses,
    audit,
    committee_work,
    items,
    milestones,
    notifications,
    organisations,
    project_parts,
    projects,
    reference,
    requests,
)
from apps.access.policy.subjects import known_project, project_facts  # noqa: E402,F401
