"""Who may hear about a target: the policy's view rule, asked for many people at once.

`can(user, "view", target)` costs one query per person; a fan-out to 10,000 people cannot
afford that. The rule for (model, "view") is a function `user -> Q`, so the same question for a
batch of people is one statement with one conditional count per person:

    SELECT COUNT(id) FILTER (WHERE <rule for person 1>), COUNT(id) FILTER (WHERE <rule for 2>) …
    FROM <target table> WHERE id = <target>

Each count is 1 exactly when `can()` would say yes, because it is the same Q on the same row.
tests/notifications/test_audience.py checks the two agree for every persona.
"""

import logging
from collections.abc import Iterable

from django.db import models
from django.db.models import Count, Q

from apps.access.policy import Action, rule_for

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def _rule_or_none(model: type[models.Model]):
    try:
        return rule_for(model, Action.VIEW)
    except LookupError:
        return None


def _concerns_self(user, target: models.Model) -> bool:
    """Without a rule, a non-staff person may still hear about a row that is about them."""
    if isinstance(target, type(user)):
        return target.pk == user.pk
    return any(
        getattr(target, field, None) == user.pk for field in ("user_id", "recipient_id", "owner_id")
    )


def _fallback_audience(users: list, target: models.Model) -> list:
    """A target with no view rule (deny by design elsewhere): staff, who see all metadata, and
    people the row is about. Anyone else is left out and the gap is logged, so a rule gets
    written rather than a title leaking."""
    allowed = [u for u in users if u.is_staff or _concerns_self(u, target)]
    if len(allowed) < len(users):
        logger.warning(
            "No view rule for %s: notified %d of %d recipients (staff and the row's own person).",
            target._meta.label,
            len(allowed),
            len(users),
        )
    return allowed


def _batch_allowed(view_rule, users: list, target: models.Model) -> list:
    model = type(target)
    counts = {}
    for index, user in enumerate(users):
        condition = view_rule(user)
        # An empty Q means "everything"; give it a tautology the aggregate can compile.
        counts[f"u{index}"] = Count("pk", filter=condition if condition else Q(pk=target.pk))
    result = model._default_manager.filter(pk=target.pk).aggregate(**counts)
    return [user for index, user in enumerate(users) if result[f"u{index}"]]


def who_may_see(users: Iterable, target: models.Model | None) -> list:
    """The subset of `users` (active ones only) that may view `target`, in their given order."""
    people = [u for u in users if u is not None and u.is_active]
    if target is None or not people:
        return people
    view_rule = _rule_or_none(type(target))
    if view_rule is None:
        return _fallback_audience(people, target)
    allowed = []
    for start in range(0, len(people), BATCH_SIZE):
        allowed += _batch_allowed(view_rule, people[start : start + BATCH_SIZE], target)
    return allowed


def target_of(target_type: str, target_id: str) -> models.Model | None:
    """The row a notification points at, or None if it no longer exists."""
    from django.apps import apps

    if not target_type or not target_id:
        return None
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return None
    return model._default_manager.filter(pk=target_id).first()
