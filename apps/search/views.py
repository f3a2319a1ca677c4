"""The search page (`/search/`) and the header box's suggestions (`/search/suggest/`)."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from apps.projects.filter_cache import suggestions_cache_headers
from apps.search import result_cache
from apps.search.forms import SearchForm
from apps.search.result_cache import PageAnswer
from apps.search.selectors import FACET_NAMES


@require_safe
def search(request):
    if not request.GET:
        context = {"form": SearchForm(), "q": "", "results_html": ""}
        return render(request, "search/results.html", context)
    answer = result_cache.page_answer(
        request.user, request.GET.urlencode(), lambda: _answer(request.user, request.GET)
    )
    if isinstance(answer, PageAnswer):
        context = {"form": None, "q": answer.q, "results_html": answer.results_html}
        return render(request, "search/results.html", context)
    context = {"form": answer, "q": "", "results_html": ""}
    return render(request, "search/results.html", context, status=400)


def _answer(user, params) -> PageAnswer | SearchForm:
    """The page's answer to a valid question, or the bound form with its errors."""
    form = SearchForm(params)
    if not form.is_valid():
        return form
    data = form.cleaned_data
    page = result_cache.search(user, data["q"], form.filters(), cursor=data["cursor"])
    return PageAnswer(q=data["q"], results_html=_render_results(page))


def _render_results(page) -> str:
    context = {
        "page": page,
        "facet_groups": _facet_groups(page),
        "next_url": _next_url(page) if page.next_cursor else "",
        "active": _active_filters(page),
    }
    return render_to_string("search/_results.html", context)


FACET_TITLES = {
    "kind": "Kind",
    "disease": "Disease area",
    "tier": "Access",
    "organisation": "Organisation",
    "organisation_kind": "Organisation kind",
    "status": "Status",
    "year": "Year",
}


def _query(page, **changes) -> str:
    items = [("q", page.terms.text), *page.filters.query_items()]
    for name, value in changes.items():
        items = [(key, val) for key, val in items if key != name]
        if value is not None:
            items.append((name, value))
    return "?" + urlencode(items)


def _facet_groups(page) -> list[dict]:
    groups = []
    for name in FACET_NAMES:
        values = page.facets.get(name) or []
        if not values:
            continue
        groups.append(
            {
                "name": name,
                "title": FACET_TITLES[name],
                "values": [
                    {
                        "label": value.label,
                        "count": value.count,
                        "url": _query(page, **{name: value.value}),
                    }
                    for value in values
                ],
            }
        )
    return groups


def _active_filters(page) -> list[dict]:
    labels = {
        (name, value.value): value.label for name, values in page.facets.items() for value in values
    }
    active = []
    for name, value in page.filters.query_items():
        remaining = [
            (key, val) for key, val in page.filters.query_items() if (key, val) != (name, value)
        ]
        active.append(
            {
                "title": FACET_TITLES[name],
                "label": labels.get((name, value), value),
                "url": "?" + urlencode([("q", page.terms.text), *remaining]),
            }
        )
    return active


def _next_url(page) -> str:
    return _query(page, cursor=page.next_cursor)


@require_safe
def suggestions(request):
    """Options of the header box's listbox: up to eight results after two characters."""
    text = (request.GET.get("q") or "")[:200]

    def options(results) -> str:
        # Rendered without the request: nothing of one request may be stored in the cache.
        return render_to_string("search/_suggestions.html", {"results": results, "q": text.strip()})

    return suggestions_cache_headers(
        HttpResponse(result_cache.suggestions_html(request.user, text, options))
    )
