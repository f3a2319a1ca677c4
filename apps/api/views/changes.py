"""`GET /api/v1/changes/?since=<cursor>`: the change feed for the caller."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from apps.api.feed import feed_page
from apps.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_size_from
from apps.api.schema import ApiAutoSchema
from apps.api.views.base import problems
from apps.changes.registry import syncable
from apps.changes.selectors import BadCursor, cursor_decode, cursor_encode, head_cursor

# Every resource the feed sends: the change registry's syncable tables (shared kinds included).
RESOURCES = list(syncable())

ChangeItem = inline_serializer(
    "ChangeItem",
    {
        "cursor": serializers.CharField(help_text="Resume after this item with ?since=."),
        "resource": serializers.ChoiceField(choices=RESOURCES),
        "id": serializers.UUIDField(),
        "op": serializers.ChoiceField(
            choices=["upsert", "tombstone"],
            help_text="upsert: store `data`. tombstone: delete your copy (deleted, or no "
            "longer visible to you); it carries only the resource type and id.",
        ),
        "occurred_at": serializers.DateTimeField(),
        "data": serializers.JSONField(
            allow_null=True,
            help_text="The object as its detail endpoint shows it now; null for tombstones.",
        ),
    },
)

ChangePage = inline_serializer(
    "ChangePage",
    {
        "next": serializers.URLField(help_text="Poll this URL next (also when results is empty)."),
        "cursor": serializers.CharField(help_text="Save it: your position in the feed."),
        "has_more": serializers.BooleanField(help_text="true: fetch `next` at once."),
        "results": serializers.ListField(child=ChangeItem),
    },
)


PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    description=f"Items per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
)


class ChangeFeedView(APIView):
    renderer_classes = [JSONRenderer]
    schema = ApiAutoSchema()

    @extend_schema(
        summary="The change feed (upserts and tombstones, in commit order)",
        description=(
            "Replay from a saved cursor to stay in step. Without `since` the feed starts at "
            "the beginning; `since=latest` answers no results and the current head cursor, "
            "which a client saves *before* a full sync and replays from afterwards. Items "
            "are the caller's view: an object the caller lost access to arrives as a "
            "tombstone. Entries appear only once every transaction before them has "
            "committed, so a cursor never skips a late commit."
        ),
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.STR,
                description="A cursor from an earlier page, or `latest`.",
                pattern=r"^(latest|[0-9]{1,19}\.[0-9]{1,19})$",
            ),
            PAGE_SIZE_PARAMETER,
        ],
        responses={200: ChangePage, **problems(400)},
    )
    def get(self, request):
        since = request.query_params.get("since")
        size = page_size_from(request)
        if since == "latest":
            return self._page(request, [], cursor_decode(head_cursor()), more=False)
        try:
            after = cursor_decode(since) if since is not None else (0, 0)
        except BadCursor:
            raise ValidationError({"since": ["This cursor is not one the API issued."]}) from None
        items, cursor, more = feed_page(request, after, size)
        return self._page(request, items, cursor, more=more)

    def _page(self, request, items, cursor, *, more: bool):
        encoded = cursor_encode(*cursor)
        results = [
            {key: item[key] for key in ("cursor", "resource", "id", "op", "occurred_at", "data")}
            for item in items
        ]
        next_url = replace_query_param(request.build_absolute_uri(), "since", encoded)
        return Response({"next": next_url, "cursor": encoded, "has_more": more, "results": results})
