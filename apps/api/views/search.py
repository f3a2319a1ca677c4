"""`GET /api/v1/search/?q=`: one search across the portal, with facet counts (issue 19).

The same search as `/search/` (`apps.search.selectors`): only rows the caller may see match,
rank, count or lend text to a snippet. Pages by an opaque keyset cursor in a stable order
(exact matches, then title matches, then the rest; the most recently changed first).
"""

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from apps.api.renderers import FastJSONRenderer, RenderedJSON, dumps, plain_json
from apps.api.schema import ApiAutoSchema
from apps.api.views.base import problems
from apps.organisations.models import OrganisationKind
from apps.search import result_cache, selectors
from apps.search.documents import MAX_QUERY_LENGTH
from apps.search.forms import SearchForm

PAGE_SIZE_DEFAULT = selectors.DEFAULT_PAGE_SIZE
PAGE_SIZE_MAX = selectors.MAX_PAGE_SIZE


class SearchFacetValue(serializers.Serializer):
    value = serializers.CharField(help_text="Pass it as the facet's query parameter.")
    label = serializers.CharField()
    count = serializers.IntegerField(
        min_value=1, help_text="Matching rows you may see; never a hidden one."
    )


SearchFacets = inline_serializer(
    "SearchFacets",
    {name: serializers.ListField(child=SearchFacetValue()) for name in selectors.FACET_NAMES},
)


class SearchProject(serializers.Serializer):
    acronym = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The project's page (a path on this site).")


class SearchResult(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(selectors.KIND_NAMES))
    kind_label = serializers.CharField()
    id = serializers.UUIDField()
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True, help_text="The item's page (a path here).")
    project = SearchProject(allow_null=True)
    access_tier = serializers.CharField(
        help_text="One of: " + ", ".join(selectors.TIER_LABELS) + " (`members`: a members-only "
        "project or its parts; `restricted`: a deliverable for project members)."
    )
    access_tier_label = serializers.CharField()
    status = serializers.CharField(allow_blank=True)
    status_label = serializers.CharField(allow_blank=True)
    why = serializers.CharField(help_text="Why it matched, in words.")
    snippet_html = serializers.CharField(
        allow_blank=True,
        help_text="HTML: escaped text of a field you may read, matches in <mark> tags.",
    )


SearchPage = inline_serializer(
    "SearchPage",
    {
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        "total": serializers.IntegerField(min_value=0, help_text="Matches you may see."),
        "results": serializers.ListField(child=SearchResult()),
        "facets": SearchFacets,
    },
)


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


PARAMETERS = [
    OpenApiParameter(
        "q",
        {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH},
        required=True,
        description="What to look for. Words match as English-stemmed prefixes; a typo in a "
        "title is forgiven; ICD-10, ROR, ODS, DUO ids and deliverable codes match exactly.",
    ),
    OpenApiParameter(
        "kind",
        {"type": "array", "items": _enum(selectors.KIND_NAMES)},
        explode=True,
        description="Only these kinds (repeat the parameter for several).",
    ),
    OpenApiParameter("tier", _enum(selectors.TIER_LABELS), description="Access tier."),
    OpenApiParameter("status", _enum(selectors.STATUS_LABELS), description="Status."),
    OpenApiParameter("organisation", OpenApiTypes.UUID, description="An organisation's id."),
    OpenApiParameter(
        "organisation_kind",
        _enum(value for value, _ in OrganisationKind.choices),
        description="The kind of the row's organisation.",
    ),
    OpenApiParameter("disease", OpenApiTypes.UUID, description="A disease area's id."),
    OpenApiParameter("year", {"type": "integer", "minimum": 1900, "maximum": 2200}),
    OpenApiParameter(
        "cursor",
        {"type": "string", "maxLength": 200},
        description="From `next` of the page before.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX},
        description=f"Results per page, 1–{PAGE_SIZE_MAX} (default {PAGE_SIZE_DEFAULT}).",
    ),
]


# Facet parameters: present means a value (an empty one is refused, as the schema says).
FILTER_NAMES = ("kind", "tier", "status", "organisation", "organisation_kind", "disease", "year")


def _page_size(params: QueryDict) -> int:
    raw = params.get("page_size")
    if raw is None:
        return PAGE_SIZE_DEFAULT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= PAGE_SIZE_MAX:
        raise ValidationError({"page_size": [f"Use a whole number from 1 to {PAGE_SIZE_MAX}."]})
    return int(raw)


class SearchView(APIView):
    renderer_classes = [FastJSONRenderer]
    schema = ApiAutoSchema()

    @extend_schema(
        summary="Search everything you may see",
        description=(
            "Projects, datasets, protocols, biomarkers and companion diagnostics, "
            "deliverables, milestones, organisations, and people who share a project with "
            "you. Results and facet counts include only rows you may see; snippets come only "
            "from fields you may read."
        ),
        parameters=PARAMETERS,
        responses={200: SearchPage, **problems(400)},
    )
    def get(self, request):
        if not plain_json(request):
            return Response(_answer(request))
        # Cached as the bytes sent (their `next` link carries the host and the query): a hit
        # neither unpickles the page nor encodes it again. Only a valid question's answer is
        # stored, under the whole URI, and validity depends on the URI alone: a hit needs no
        # validation, a miss is validated by `_answer` (a refusal raises; nothing is stored).
        return Response(
            result_cache.api_body(
                request.user,
                request.build_absolute_uri(),
                lambda: RenderedJSON(dumps(_answer(request))),
                lambda cached: isinstance(cached, RenderedJSON),
            )
        )


def _answer(request) -> dict:
    """The parameters validated (a refusal raises `ValidationError`), then the search."""
    params = request.query_params
    size = _page_size(params)
    if not params.get("q"):
        raise ValidationError({"q": ["Say what to look for."]})
    empty = [name for name in FILTER_NAMES if "" in params.getlist(name)]
    if empty:
        raise ValidationError(
            {name: ["Give a value or leave the parameter out."] for name in empty}
        )
    form = SearchForm(params)
    if not form.is_valid():
        raise ValidationError(
            {
                name: [error["message"] for error in errors]
                for name, errors in form.errors.get_json_data().items()
            }
        )
    data = form.cleaned_data
    page = result_cache.search(
        request.user, data["q"], form.filters(), cursor=data["cursor"], size=size
    )
    return _body(request, page)


def _body(request, page) -> dict:
    next_url = None
    if page.next_cursor:
        next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
    return {
        "next": next_url,
        "total": page.total,
        "results": [_result(result) for result in page.results],
        "facets": {
            name: [
                {"value": value.value, "label": value.label, "count": value.count}
                for value in page.facets.get(name, [])
            ]
            for name in selectors.FACET_NAMES
        },
    }


def _result(result) -> dict:
    project = None
    if result.project_acronym:
        project = {
            "acronym": result.project_acronym,
            "title": result.project_title,
            "url": result.project_url,
        }
    return {
        "kind": result.kind,
        "kind_label": result.kind_label,
        "id": str(result.id),
        "title": result.title,
        "url": result.url,
        "project": project,
        "access_tier": result.tier,
        "access_tier_label": result.tier_label,
        "status": result.status,
        "status_label": result.status_label,
        "why": result.why,
        "snippet_html": str(result.snippet),
    }
