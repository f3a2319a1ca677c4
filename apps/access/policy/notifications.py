"""Notifications: a person's own, and only while they may still see what each is about.

| model        | view, edit                                                                   |
|--------------|------------------------------------------------------------------------------|
| Notification | its recipient (staff included: an inbox is private), while the recipient may |
|              | still view the notification's target (a target-less notice: always)          |

A notification repeats its target's title ("Dataset published in RESPIRE: <title>"). Access
can end after it was written — the organisation suspended, a grant expired, a membership
ended — and then the notice must go wherever the title goes: the in-app list, the unread
count, the API and its change feed, digests and e-mails. So the target's own view rule is part
of the notification's, evaluated in the statement that lists them (ACCESS.md, "Who learns that
something exists"; DESIGN.md §5: no e-mail may leak the title of an item its recipient cannot
see).

A target is named by `target_type` (the model's `label_lower`) and `target_id`; the kinds a
notification may point at are registered in `NOTIFICATION_TARGETS`, and `notification_emit`
refuses any other, so a new kind cannot be notified without its rule being asked here.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import connection
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, UUIDField, Value, When
from django.db.models.functions import Cast, Replace

from apps.access.policy import NOTHING, Action, rule, visible
from apps.access.policy.subjects import is_signed_in
from apps.core.kinds import shared_kinds
from apps.notifications.models import Notification

NOTIFICATION_TARGETS = (
    "projects.project",
    "projects.membership",
    "projects.partner",
    "organisations.organisation",
    # The shared kinds' items (datasets, protocols, analyses…), as declared.
    *(kind.model.lower() for kind in shared_kinds()),
    "access.accessrequest",
    "access.accessgrant",
    "access.requestreview",
    "access.requestmessage",
    "milestones.milestone",
)


def _target_pk():
    """The notification's `target_id` (text) as the target's UUID primary key. SQLite stores
    UUIDs as 32 hex digits without dashes."""
    if connection.vendor == "sqlite":
        return Replace(OuterRef("target_id"), Value("-"), Value(""))
    return Cast(OuterRef("target_id"), output_field=UUIDField())


_named: ContextVar[frozenset[str] | None] = ContextVar("policy_notification_targets", default=None)


@contextmanager
def targets_named(labels: Iterable[str]) -> Iterator[None]:
    """Within the block, the notification rule asks only the rules of the target kinds in
    `labels`: the caller has just read which kinds its rows name (the header's unread count,
    on every signed-in page, names one or two kinds where the rule knows fourteen, and each
    kind's rule costs its building and PostgreSQL's planning). A row naming another kind — one
    written in between — falls to the CASE's default and is left out: never more than the
    whole rule admits."""
    token = _named.set(frozenset(labels))
    try:
        yield
    finally:
        _named.reset(token)


def target_still_visible(user) -> Case:
    """True for the notifications whose target `user` may view now (or that have none). Each
    kind's EXISTS sits in its own WHEN, so PostgreSQL casts `target_id` only for that kind."""
    whens = [When(target_type="", then=Value(True))]
    named = _named.get()
    for label in NOTIFICATION_TARGETS:
        if named is not None and label not in named:
            continue
        model = apps.get_model(label)
        targets = visible(user, model._default_manager.filter(pk=_target_pk()), Action.VIEW)
        whens.append(When(target_type=label, then=Exists(targets)))
    return Case(*whens, default=Value(False), output_field=BooleanField())


@rule(Notification, Action.VIEW, Action.EDIT)
def notification_own(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return Q(recipient_id=user.pk) & Q(target_still_visible(user))
