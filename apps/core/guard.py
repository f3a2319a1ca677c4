"""The read guard: rows governed by access rules are read through the policy or not at all.

pretix keeps organisers apart with django-scopes: a query on a scoped model raises unless a
scope is active, so a forgotten filter is loud instead of a leak. Stratum's scope is a person,
not a tenant, and the policy decides per row, so the guard asks one question of every read of
a governed model: did this queryset pass through the access policy (`policy.visible()` marks
it), or is it a system read that names its reason? Anything else raises `UnscopedRead`
before a single row is fetched — in tests, in DEBUG and in production alike; production also
logs it, so the refusal is seen and never served.

System code opts out by name, with a reason a reviewer can read:

    with system_reads("digest task: every item is re-checked for its recipient"):
        ...

    Dataset.objects.system("the upload service locks the row it is about to change")

`grep -rn "system_reads\\|\\.system(" apps` lists every exception.

A union led by an ungoverned queryset refuses an unscoped governed part as it joins (below).

What the guard does not cover, on purpose: forward foreign keys and `select_related` (they
use the base manager: a visible row's own parent), writes (`update()`, `delete()`, bulk writes
— they return no rows), and locking reads (`select_for_update()`), which services take on the
rows they are about to change. Nor does it see a governed table that an ungoverned query
only joins or filters on (`Organisation.objects.filter(datasets__title=...)`): the guard marks
querysets, not SQL, so such filters are kept out by review and found by the leak crawl, which
asks every route as every persona. Reverse relations (`project.datasets.all()`) and prefetches
are guarded: they list children, and a child's visibility is its own.
"""

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ContextDecorator, contextmanager
from contextvars import ContextVar

from django.db import models

logger = logging.getLogger("stratum.access.guard")

_system_reason: ContextVar[str | None] = ContextVar("guard_system_reason", default=None)

POLICY = "policy"


class UnscopedRead(RuntimeError):
    """A governed model was read neither through the policy nor as a named system read."""


class system_reads(ContextDecorator):
    """Within the block (or the decorated function), reads of governed models are system
    reads. `reason` is for the reviewer: who acts, and why no person's view is at stake."""

    def __init__(self, reason: str):
        if not reason or not reason.strip():
            raise ValueError("A system read names its reason.")
        self.reason = reason
        self._token = None

    def _recreate_cm(self):
        # As a decorator, each call (and each thread) gets its own block.
        return type(self)(self.reason)

    def __enter__(self):
        self._token = _system_reason.set(self.reason)
        return self

    def __exit__(self, *exc):
        _system_reason.reset(self._token)
        return False


@contextmanager
def person_reads() -> Iterator[None]:
    """Reads on behalf of a person (a web request): every governed read must pass the policy,
    whatever system block the caller was in (a test, a management command serving HTTP)."""
    token = _system_reason.set(None)
    try:
        yield
    finally:
        _system_reason.reset(token)


@contextmanager
def _writing() -> Iterator[None]:
    # A delete collects the rows it removes (and their cascades) with ordinary reads; a write
    # is the service's business, not a display, so it is not a read to guard.
    token = _system_reason.set("a write collects the rows it changes")
    try:
        yield
    finally:
        _system_reason.reset(token)


def in_system_read() -> str | None:
    return _system_reason.get()


# Django's own write machinery reads rows in order to write: a many-to-many `set()` reads the
# links it replaces, `full_clean()` asks whether a unique value is taken. Those reads return
# nothing to the caller but the write itself, so they are not displays to guard.
_DJANGO_WRITE_FRAMES = {
    ("related_descriptors.py", "set"),
    ("related_descriptors.py", "add"),
    ("related_descriptors.py", "remove"),
    ("related_descriptors.py", "clear"),
    ("related_descriptors.py", "_add_items"),
    ("related_descriptors.py", "_remove_items"),
    ("related_descriptors.py", "_get_missing_target_ids"),
    ("base.py", "_perform_unique_checks"),
    ("base.py", "_perform_date_checks"),
    ("constraints.py", "validate"),
    ("deletion.py", "collect"),
}
_DJANGO_DB = f"{os.sep}django{os.sep}db{os.sep}models{os.sep}"


def _inside_django_write(depth: int = 12) -> bool:
    frame = sys._getframe(2)
    for _ in range(depth):
        if frame is None:
            return False
        code = frame.f_code
        if _DJANGO_DB in code.co_filename:
            name = (os.path.basename(code.co_filename), code.co_name)
            if name in _DJANGO_WRITE_FRAMES:
                return True
        frame = frame.f_back
    return False


def _caller() -> str:
    """The first frame of ours (not Django's, not the guard's): where the read was asked for."""
    frame = sys._getframe(2)
    here = os.path.abspath(__file__)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename != here and f"{os.sep}site-packages{os.sep}" not in filename:
            return f"{os.path.relpath(filename)}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "unknown"


class GuardedQuerySet(models.QuerySet):
    """A queryset that refuses to fetch rows unless the policy or a named system read allowed
    it. The mark survives chaining (`filter`, `order_by`, `values`, slicing), so narrowing a
    visible queryset stays visible; combining with an unmarked one does not."""

    _read_scope: str | None = None

    # --- marks ------------------------------------------------------------------------------
    def _clone(self):
        clone = super()._clone()
        clone._read_scope = self._read_scope
        return clone

    def _marked(self, scope: str):
        clone = self._chain()
        clone._read_scope = scope
        return clone

    def policy_checked(self):
        """Only `apps.access.policy` calls this, on a queryset it has just filtered."""
        return self._marked(POLICY)

    def system(self, reason: str):
        """A named system read of this queryset (see the module docstring)."""
        if not reason or not reason.strip():
            raise ValueError("A system read names its reason.")
        return self._marked(f"system: {reason}")

    @property
    def read_scope(self) -> str | None:
        return self._read_scope

    # --- the check --------------------------------------------------------------------------
    def _check_read(self) -> None:
        if self._read_scope is not None or _system_reason.get() is not None:
            return
        if self.query.select_for_update or _inside_django_write():
            return
        message = (
            f"Unscoped read of {self.model._meta.label} at {_caller()}: read it through "
            "apps.access.policy (visible / get_for_user), or name a system read with "
            "system_reads(reason) or .system(reason)."
        )
        logger.error(message, stack_info=True)
        raise UnscopedRead(message)

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_read()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_read()
        return super().iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._check_read()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_read()
        return super().exists()

    def contains(self, obj):
        if self._result_cache is None:
            self._check_read()
        return super().contains(obj)

    def aggregate(self, *args, **kwargs):
        self._check_read()
        return super().aggregate(*args, **kwargs)

    def explain(self, *args, **kwargs):
        self._check_read()
        return super().explain(*args, **kwargs)

    def delete(self):
        with _writing():
            return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    # --- combinations keep the mark only when every side has one -----------------------------
    def _combined_scope(self, *others) -> str | None:
        # A queryset of an ungoverned model (no guard) needs no mark of its own.
        scopes = [
            self._read_scope,
            *(o._read_scope for o in others if isinstance(o, GuardedQuerySet)),
        ]
        return self._read_scope if all(scopes) else None

    def __and__(self, other):
        combined = super().__and__(other)
        combined._read_scope = self._combined_scope(other)
        return combined

    def __or__(self, other):
        combined = super().__or__(other)
        combined._read_scope = self._combined_scope(other)
        return combined

    def __xor__(self, other):
        combined = super().__xor__(other)
        combined._read_scope = self._combined_scope(other)
        return combined

    def _combinator_query(self, combinator, *other_qs, all=False):
        combined = super()._combinator_query(combinator, *other_qs, all=all)
        combined._read_scope = self._combined_scope(*other_qs)
        return combined


# A union led by an ungoverned queryset is a plain `QuerySet`: it has no check of its own, and
# the governed parts it carries would be read unchecked. So an unscoped governed part is refused
# as it joins such a union (`Organisation.objects.values("id").union(Dataset.objects...)`),
# the one place Django lets a guarded queryset hide inside an unguarded one.
_plain_combinator_query = models.QuerySet._combinator_query


def _combinator_query_checking_guarded_parts(self, combinator, *other_qs, all=False):
    if not isinstance(self, GuardedQuerySet):
        for other in other_qs:
            if isinstance(other, GuardedQuerySet):
                other._check_read()
    return _plain_combinator_query(self, combinator, *other_qs, all=all)


models.QuerySet._combinator_query = _combinator_query_checking_guarded_parts


class GuardedManager(models.Manager.from_queryset(GuardedQuerySet)):
    """The default manager of every access-governed model (tests/access/test_guard.py checks
    that every model with a view rule has one)."""
