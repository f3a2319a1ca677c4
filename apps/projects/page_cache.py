"""The signed-in project page served from a versioned fragment (issue 16).

What the page shows a person is a function of: the project's rows and everything its sections
read (the project's content version, `apps.projects.content_versions`, bumped by database
triggers in the transaction of every write), the person's standing (their access facts,
`apps.access.facts`: the access version, and the facts themselves, so an entry the clock alone
changed — a grant past `valid_until`, a membership past `ends_on` — is another key), the
person's own flags the policy reads from their row (staff, superuser, active, whether MFA is
enforced), and today's date in their time zone (overdue milestones, the timeline). The key is
all of those; the entry is the rendered title, breadcrumbs and content. Everything that
differs per request — the CSRF token, messages, the CSP nonce, the header's unread count — is
in `base.html`, rendered around the entry on every request.

Order matters: the content version and the facts are read BEFORE the page is built, so an
entry is never older than its key (a write committed in between makes it newer, which the
next request's key, carrying the new version, no longer matches).

A cache miss or any cache error builds the page from the database, exactly as without the
cache: the cache can make the page faster, never show more. Only signed-in people get a
cached page; anonymous visitors are served as before.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from apps.access.facts import access_facts, catalogue_ref_seen
from apps.projects import catalogue_ref as catalogue_sql
from apps.projects.models import Project, ProjectContentVersion
from apps.security.mfa import mfa_enforced

logger = logging.getLogger(__name__)

SCHEMA = 1  # bump when CachedPage changes shape
SECONDS = 3600  # an upper bound that keeps Redis tidy: the key is exact
# The code and templates that render the page: a deploy that changes a rule or a template
# must not be answered with pages the old code rendered.
_SOURCES = (("apps", ".py"), ("apps", ".html"), ("templates", ".html"))


@dataclass(frozen=True)
class CachedPage:
    project_id: UUID
    title: str
    breadcrumbs: SafeString
    content: SafeString


@functools.cache
def code_fingerprint() -> str:
    """A hash of every Python module and template of this deploy (read once per process,
    ~10 ms): the same in every process of one release, another after any change."""
    digest = hashlib.blake2b(digest_size=8)
    root = Path(settings.BASE_DIR)
    for folder, suffix in _SOURCES:
        for path in sorted((root / folder).rglob(f"*{suffix}")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def enabled(user) -> bool:
    return bool(getattr(settings, "PROJECT_PAGE_CACHE", True)) and bool(
        getattr(user, "is_authenticated", False)
    )


@dataclass(frozen=True)
class ProjectRef:
    project_id: UUID
    version: int
    # This transaction has written the project and not committed: its version does not cover
    # what this transaction sees (PostgreSQL bumps it at commit, `content_versions`).
    pending: bool


def project_ref(slug: str) -> ProjectRef | None:
    """The project called `slug`, its content version and whether this transaction has
    uncommitted writes to it, in one statement; None when there is no such project. Says
    nothing about who may see it."""
    project, version = Project._meta.db_table, ProjectContentVersion._meta.db_table
    pending = catalogue_sql.pending_sql(project_column="p.id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, v.version, {pending} FROM {project} p LEFT JOIN {version} v "
            "ON v.project_id = p.id WHERE p.slug = %s",
            [slug],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    project_id = row[0] if isinstance(row[0], UUID) else UUID(str(row[0]))
    return ProjectRef(project_id, int(row[1] or 0), bool(row[2]))


def viewer_parts(user) -> list[str]:
    """Everything about the viewer and the moment a cached part depends on: the person, their
    standing (access facts), the flags the policy reads from their row, today in their time
    zone, their language, and the code that renders. Anonymous visitors all stand alike."""
    if not getattr(user, "is_authenticated", False):
        moment = [timezone.localdate().isoformat(), timezone.get_current_timezone_name()]
        return [code_fingerprint(), "anonymous", *moment, translation.get_language() or ""]
    standing = access_facts(user).standing
    flags = "".join(
        "1" if flag else "0"
        for flag in (user.is_staff, user.is_superuser, user.is_active, mfa_enforced())
    )
    return [
        code_fingerprint(),
        str(user.pk),
        standing,
        flags,
        timezone.localdate().isoformat(),
        timezone.get_current_timezone_name(),
        translation.get_language() or "",
    ]


def page_key(user, project_id: UUID, version: int) -> str:
    return ":".join([f"project-page:{SCHEMA}", str(project_id), str(version), *viewer_parts(user)])


def _cached(key: str, build: Callable[[], object], valid: Callable[[object], bool]):
    try:
        entry = cache.get(key)
    except Exception:
        logger.warning("page cache unavailable; rendering", exc_info=True)
        entry = None
    if entry is not None and valid(entry):
        return entry
    entry = build()
    if valid(entry):
        try:
            cache.set(key, entry, SECONDS)
        except Exception:
            logger.warning("page cache unavailable; not stored", exc_info=True)
    return entry


def project_page(user, slug: str, build: Callable[[], CachedPage]) -> CachedPage:
    """The page `build()` renders for `user`, from the cache when its key is there.

    `build()` does every access check (it raises Http404 for a project `user` may not see,
    and nothing is stored); it must read the database only after this function has read the
    key's versions, which it does by being called here."""
    ref = project_ref(slug)
    if ref is None or ref.pending:
        return build()
    key = page_key(user, ref.project_id, ref.version)
    # The slug may have moved to another project meanwhile: such a page is neither served nor
    # stored under this project's key.
    return _cached(key, build, lambda page: getattr(page, "project_id", None) == ref.project_id)


def catalogue_ref_columns() -> tuple[str, list]:
    """Two SQL columns — the catalogue's version (bumped with every project's,
    `content_versions.CATALOGUE`) and whether this transaction has uncommitted writes to any
    project — with their parameters, for a statement that reads them beside its own (the
    unread count's digest): one round trip instead of two."""
    version, params = catalogue_sql.version_sql()
    return f"{version}, {catalogue_sql.pending_sql()}", params


def catalogue_ref_from(row) -> tuple[int, bool]:
    """The two columns of `catalogue_ref_columns()` as read."""
    version_number, pending = row
    return int(version_number or 0), bool(pending)


def catalogue_ref() -> tuple[int, bool]:
    """The catalogue's version and whether this transaction has uncommitted writes to any
    project (`catalogue_ref_columns`)."""
    columns, params = catalogue_ref_columns()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}", params)
        return catalogue_ref_from(cursor.fetchone())


def catalogue_ref_for(user) -> tuple[int, bool]:
    """`catalogue_ref()`, or the values read with `user`'s own row when nothing has been
    written on the connection since (`apps.access.facts.catalogue_ref_seen`): a signed-in
    request then reads them in the statement that loaded the person or their token."""
    seen = catalogue_ref_seen(user)
    return seen if seen is not None else catalogue_ref()


def catalogue_fragment(user, name: str, request_key: str, build: Callable[[], str]) -> str:
    """The HTML `build()` renders of a list across projects, for `user`, from the cache when
    there: keyed on the catalogue version, the viewer and `request_key` (every request value
    the fragment reads: its query string)."""
    return catalogue_cached(user, name, request_key, build, lambda html: isinstance(html, str))


def catalogue_cached(
    user,
    name: str,
    request_key: str,
    build: Callable,
    valid: Callable,
    ref: tuple[int, bool] | None = None,
):
    """What `build()` returns of a list across projects for `user` (HTML, or an API page's
    data), from the cache when there; `valid` says what may be stored and served. Anonymous
    visitors share one entry per request key: they all may see the same. `ref`: the
    catalogue's `catalogue_ref()`, when the caller read it (before anything `build()` reads)."""
    if not getattr(settings, "PROJECT_PAGE_CACHE", True):
        return build()
    version, pending = ref if ref is not None else catalogue_ref_for(user)
    if pending:
        return build()
    digest = hashlib.blake2b(request_key.encode(), digest_size=16).hexdigest()
    key = ":".join([f"catalogue:{SCHEMA}:{name}", str(version), digest, *viewer_parts(user)])
    return _cached(key, build, valid)
