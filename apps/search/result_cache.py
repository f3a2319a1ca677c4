"""Search pages and suggestions from the cache, keyed on the catalogue version (issues 16, 19).

A search's answer — its results, snippets, facet counts and cursor — is a function of the
rows it reads and of the searcher's standing. Every table it reads bumps the catalogue
version (`apps.projects.content_versions`) in the writing transaction, or is exempted with its
reason (tests/search/test_search_cache.py proves it for the leak personas, every kind and
every facet), and `page_cache.catalogue_cached` keys the entry on that version, the viewer's
access facts and flags, today, their language, and what was asked. So an entry is served only
while nothing it was built from has changed, and only to someone who stands exactly where its
builder stood; anonymous visitors share one entry per question. A miss, a Redis error or a
transaction that has written builds from the database, as without the cache.

This pays where the same question is asked again between writes (the header box's
suggestions while people type, a results page reloaded or paged back to, partner systems
polling one query). A question not asked since the last write costs a full search.
"""

from collections.abc import Callable
from dataclasses import dataclass

from apps.projects.page_cache import catalogue_cached
from apps.search import selectors
from apps.search.selectors import DEFAULT_PAGE_SIZE, Cursor, Filters, SearchPage, SearchResult


def _question(*parts) -> str:
    # repr of str, int, bool and tuples of them is unambiguous: no two questions share a key.
    return repr(parts)


def search(
    user,
    text: str,
    filters: Filters | None = None,
    *,
    cursor: Cursor | None = None,
    size: int = DEFAULT_PAGE_SIZE,
) -> SearchPage:
    """`selectors.search` with facets, from the cache when the same person (or, anonymous, any
    visitor) asked the same since the last write."""
    filters = filters or Filters()
    question = _question(
        "search",
        text,
        tuple(filters.query_items()),
        cursor.encode() if cursor else "",
        size,
    )
    return catalogue_cached(
        user,
        "search",
        question,
        lambda: selectors.search(user, text, filters, cursor=cursor, size=size),
        lambda page: isinstance(page, SearchPage),
    )


def api_body(user, uri: str, build: Callable[[], object], valid: Callable[[object], bool]):
    """`GET /api/v1/search/`'s body as `build()` encodes it, cached under the request's
    absolute URI (the question, and the host and path its `next` link carries)."""
    return catalogue_cached(user, "api-search", _question("api-search", uri), build, valid)


@dataclass(frozen=True)
class PageAnswer:
    """The `/search/` page's answer to a valid question: the text as understood and the
    results and facets as HTML."""

    q: str
    results_html: str


def page_answer(user, query_string: str, answer: Callable[[], object]) -> object:
    """What `answer()` gives for the `/search/` page's question, cached under the whole query
    string when it is a `PageAnswer`. Only a valid question's answer is stored, and validity
    depends on the query string alone, so a hit needs no validation; a refusal (anything
    else `answer()` returns, such as the bound form with its errors) is never stored."""
    return catalogue_cached(
        user,
        "search-page",
        _question("search-page", query_string),
        answer,
        lambda cached: isinstance(cached, PageAnswer),
    )


def suggestions_html(user, text: str, render: Callable[[list[SearchResult]], str]) -> str:
    """The header box's options as `render(selectors.suggest(...))` writes them, cached as
    HTML: suggestions are asked for at every pause in typing, so a hit is only a cache read."""
    if len((text or "").strip()) < selectors.MIN_SUGGEST_CHARS:
        return render([])
    return catalogue_cached(
        user,
        "suggest",
        _question("suggest", text),
        lambda: render(selectors.suggest(user, text)),
        lambda html: isinstance(html, str),
    )
