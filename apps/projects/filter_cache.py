"""Support for long filtered lists: type-ahead suggestions, and counts cached per audience.

A filter with thousands of choices (the dataset list's projects, the catalogue's partner
organisations) is a text field with type-ahead suggestions, not a <select>: `suggestion_text`
reads what was typed, and `suggestions_cache_headers` keeps the answer out of shared caches.

The dataset list's "N datasets" is cached per audience.

At scale l, counting the ~55,000 datasets a member of five consortia may see costs about
80 ms of PostgreSQL on every page view: the visibility rule is evaluated for each of the
100,000 rows, and no index can answer an OR of five policy branches. The rows of a page are
cheap (the planner stops after 25), the count is not. What a count says depends on what the
person may see, so it is cached per audience — once for all anonymous visitors, and per
person and standing (`page_cache.viewer_parts`: their access facts, flags and today) when
signed in — never shown to anyone else, and per filter.

The key holds the catalogue version (`apps.projects.content_versions.CATALOGUE`), which the
database bumps as any write to a project's rows commits, whatever wrote them (a service, a
queryset update, a bulk insert, raw SQL): a count is never older than the rows it counts. A
transaction that has written a project and not committed counts afresh and stores nothing.
"""

import hashlib
import logging
from functools import cached_property

from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from apps.projects.page_cache import catalogue_ref_for, viewer_parts

logger = logging.getLogger(__name__)

MAX_TEXT = 200  # characters of a filter's text
SUGGEST_FROM = 2  # characters: one letter matches nearly every project (50 ms at scale l)
TTL = 3600  # an upper bound that keeps Redis tidy: the key is exact


def _audience(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return ":".join(viewer_parts(user))


def cached_count(name: str, user, filters: tuple, rows: QuerySet) -> int:
    """`rows.count()`, cached per catalogue version, audience and `filters` (every value that
    narrows `rows`, as strings; free text is hashed into the key, never stored)."""
    version, pending = catalogue_ref_for(user)
    if pending:
        return rows.count()
    digest = hashlib.sha256(repr(filters).encode()).hexdigest()[:32]
    key = f"list-count:v2:{version}:{name}:{_audience(user)}:{digest}"
    try:
        count = cache.get(key)
    except Exception:
        logger.warning("count cache unavailable; counting", exc_info=True)
        return rows.count()
    if count is None:
        count = rows.count()
        try:
            cache.set(key, count, TTL)
        except Exception:
            logger.warning("count cache unavailable; not stored", exc_info=True)
    return count


class CountedPaginator(Paginator):
    """A Paginator told its count instead of running `COUNT(*)` itself."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def suggestion_text(request, name: str) -> str:
    """The text typed into filter `name`, or "" while too short to suggest anything."""
    text = request.GET.get(name, "").strip()
    if len(text) > MAX_TEXT:
        raise BadRequest(f"Type at most {MAX_TEXT} characters.")
    return text if len(text) >= SUGGEST_FROM else ""


def text_replaces_choice(submitted, text_name: str, text: str, label: str) -> bool:
    """The type-ahead form sends the chosen row's identifier and, in field `text_name`, its
    label: text the person changed (emptied included) replaces the choice. A link sends only
    the identifier, which then stands."""
    return text_name in submitted and text.casefold() != label.casefold()


def suggestions_cache_headers(response: HttpResponse) -> HttpResponse:
    """Type-ahead suggestions depend on who asks: the browser may keep them for a minute
    while the person types on, but no shared cache may, and a new session asks again."""
    patch_cache_control(response, private=True, max_age=60)
    patch_vary_headers(response, ["Cookie"])
    return response
