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

from apps.access.facts import access_facts
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


def project_ref(slug: str) -> tuple[UUID, int] | None:
    """(id, content version) of the project called `slug`, in one statement; None when there
    is no such project. Says nothing about who may see it."""
    project, version = Project._meta.db_table, ProjectContentVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, v.version FROM {project} p LEFT JOIN {version} v "
            "ON v.project_id = p.id WHERE p.slug = %s",
            [slug],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    project_id = row[0] if isinstance(row[0], UUID) else UUID(str(row[0]))
    return project_id, int(row[1] or 0)


def page_key(user, project_id: UUID, version: int) -> str:
    facts = access_facts(user)
    standing = hashlib.blake2b(repr(facts).encode(), digest_size=16).hexdigest()
    flags = "".join(
        "1" if flag else "0"
        for flag in (user.is_staff, user.is_superuser, user.is_active, mfa_enforced())
    )
    return ":".join(
        [
            f"project-page:{SCHEMA}:{code_fingerprint()}",
            str(project_id),
            str(version),
            str(user.pk),
            standing,
            flags,
            timezone.localdate().isoformat(),
            timezone.get_current_timezone_name(),
            translation.get_language() or "",
        ]
    )


def project_page(user, slug: str, build: Callable[[], CachedPage]) -> CachedPage:
    """The page `build()` renders for `user`, from the cache when its key is there.

    `build()` does every access check (it raises Http404 for a project `user` may not see,
    and nothing is stored); it must read the database only after this function has read the
    key's versions, which it does by being called here."""
    ref = project_ref(slug)
    if ref is None:
        return build()
    key = page_key(user, *ref)
    try:
        page = cache.get(key)
    except Exception:
        logger.warning("project page cache unavailable; rendering", exc_info=True)
        page = None
    if isinstance(page, CachedPage) and page.project_id == ref[0]:
        return page
    page = build()
    if page.project_id == ref[0]:  # the slug may have moved to another project meanwhile
        try:
            cache.set(key, page, SECONDS)
        except Exception:
            logger.warning("project page cache unavailable; not stored", exc_info=True)
    return page
