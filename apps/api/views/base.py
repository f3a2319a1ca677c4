"""The base every API resource view builds on.

Querysets always pass through `apps.access.policy.visible(user, qs)`; a lookup outside that
set is a 404 exactly like a missing row. Detail responses carry an ETag (hash of the JSON
representation); `If-None-Match` answers 304 and a write with a stale `If-Match` answers 412
before anything changes (the row is locked while the precondition is compared).
"""

import hashlib
import json

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from apps.access.policy import Action, annotate_allowed, can, visible
from apps.access.policy.subjects import shared_subqueries
from apps.api.problems import PROBLEM_CONTENT_TYPE, PreconditionFailed
from apps.api.renderers import FastJSONRenderer
from apps.api.schema import ApiAutoSchema
from apps.api.serializers.common import ProblemSerializer

UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

PROBLEM_DESCRIPTIONS = {
    400: "Invalid input: `errors` lists the messages per field. Every route also answers 400 "
    "to an address whose path or query string contains a NUL character.",
    401: "Missing, malformed, expired or revoked token.",
    403: "The token lacks the `write` scope, or the action is not allowed on a visible object.",
    404: "No such resource, or one the caller may not see.",
    405: "Method not allowed on this path.",
    406: "Only JSON responses are offered.",
    409: "The change conflicts with the resource's current state.",
    412: "`If-Match` does not match the current ETag; nothing was changed.",
    413: "Request body too large.",
    415: "Send `Content-Type: application/json`.",
    429: "Too many requests; retry after `Retry-After` seconds.",
    500: "Server error (logged; no details are exposed).",
}
# 400 is always possible: RejectNulCharactersMiddleware refuses a NUL in any address.
ALWAYS = (400, 401, 405, 406, 429, 500)


def problems(*codes: int) -> dict:
    """Response entries for `extend_schema(responses=...)`, as application/problem+json."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemSerializer, description=PROBLEM_DESCRIPTIONS[code]
        )
        for code in sorted(set(codes) | set(ALWAYS))
    }


ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=True,
    description="Entity tag of the representation (use with If-None-Match / If-Match).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="An ETag you hold; 304 Not Modified when it is still current.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read; 412 and no change when the resource changed since.",
)
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified: your copy is current.")}


def retrieve_schema(summary: str, output):
    """How every detail endpoint is documented: a conditional GET (ETag, If-None-Match → 304)
    that answers 404 for what the caller may not see."""
    return extend_schema(
        summary=summary,
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses={200: output, **NOT_MODIFIED, **problems(404)},
    )


def etag_for(data) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:40]}"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class ResourceViewSet(viewsets.GenericViewSet):
    """List + detail of one model through the access policy. Subclasses set `model`,
    `output_serializer`, `filterset_class` and usually `related` (select/prefetch)."""

    model = None
    output_serializer = None
    # For one object (detail and write responses), when it shows more than a list row.
    detail_serializer = None
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    # DRF's JSONRenderer bytes, written by orjson (apps.api.renderers).
    renderer_classes = [FastJSONRenderer]
    parser_classes = [JSONParser]
    schema = ApiAutoSchema()
    select: tuple[str, ...] = ()
    prefetch: tuple = ()
    # Actions whose answer each row reports (e.g. download): decided in the listing statement
    # itself (`annotate_allowed`), read back by `ids_where`.
    row_actions: tuple[str, ...] = ()

    def base_queryset(self):
        queryset = self.model._default_manager.all()
        if self.select:
            queryset = queryset.select_related(*self.select)
        if self.prefetch:
            queryset = queryset.prefetch_related(*self.prefetch)
        return queryset

    def get_queryset(self):
        # The filter and the per-row columns go into one statement, so they may share the
        # user's subqueries (built once instead of once per rule; the SQL is the same).
        with shared_subqueries():
            queryset = visible(self.request.user, self.base_queryset())
            for action in self.row_actions:
                queryset = self.annotate_row_action(queryset, action)
        return queryset

    def annotate_row_action(self, queryset, action: str):
        """`queryset` (visible rows) with the column `allowed_column(action)`: the policy's
        rule for `action`, unless a subclass has a cheaper form of it for visible rows."""
        return annotate_allowed(self.request.user, queryset, action, allowed_column(action))

    def get_serializer_class(self):
        return self.output_serializer

    # --- reads -------------------------------------------------------------------------------
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(), **self.extra_context(page)}
        data = self.output_serializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def extra_context(self, objects) -> dict:
        """Per-page facts the representation needs, each fetched in one query for the page
        (e.g. which rows the caller may download). Subclasses override."""
        return {}

    def represent(self, obj) -> dict:
        context = {**self.get_serializer_context(), **self.extra_context([obj])}
        serializer = self.detail_serializer or self.output_serializer
        return serializer(obj, context=context).data

    def retrieve(self, request, *args, **kwargs):
        return self.respond_with_etag(self.get_object())

    def respond_with_etag(self, obj, *, status_code=status.HTTP_200_OK):
        data = self.represent(obj)
        etag = etag_for(data)
        if status_code == status.HTTP_200_OK and etag in _tags(
            self.request.headers.get("If-None-Match", "")
        ):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, status=status_code, headers={"ETag": etag})

    # --- writes ------------------------------------------------------------------------------
    def locked_object(self, action: str = Action.EDIT):
        """The visible object, row-locked for the rest of the transaction; 403 when visible
        but `action` is refused; 412 when `If-Match` names another representation."""
        queryset = visible(self.request.user, self.model._default_manager.all())
        pk = self.kwargs[self.lookup_field]
        obj = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
        if obj is None:
            raise Http404
        if not can(self.request.user, action, obj):
            raise PermissionDenied("You may not change this resource.")
        self.check_if_match(obj)
        return obj

    def check_if_match(self, obj) -> None:
        header = self.request.headers.get("If-Match")
        if not header:
            return
        data = self.represent(self.reread(obj))
        tags = _tags(header)
        if "*" not in tags and etag_for(data) not in tags:
            raise PreconditionFailed()

    def validated_input(self, serializer_class, *, partial: bool = False, instance=None):
        serializer = serializer_class(
            instance=instance,
            data=self.request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def fresh(self, obj):
        """Re-read through the list queryset (with its prefetches) to re-render after a write."""
        return self.reread(obj)

    def reread(self, obj):
        """`obj` as the caller sees it now, through the policy (404 once it is out of sight)."""
        current = self.get_queryset().filter(pk=obj.pk).first()
        if current is None:
            raise Http404
        return current

    def run_write(self, func, *, status_code=status.HTTP_200_OK):
        """Run `func()` in one transaction (lock, precondition, service), then re-render."""
        with transaction.atomic():
            obj = func()
        return self.respond_with_etag(self.fresh(obj), status_code=status_code)


def allowed_column(action: str) -> str:
    return f"policy_may_{action}"


def ids_where(user, model, objects, action: str) -> set:
    """The pks among `objects` that `user` may `action`: read from the column the listing
    statement computed (`row_actions`), else one query for the whole page."""
    pks = [obj.pk for obj in objects]
    if not pks:
        return set()
    column = allowed_column(action)
    if all(hasattr(obj, column) for obj in objects):
        return {obj.pk for obj in objects if getattr(obj, column)}
    return set(
        visible(user, model._default_manager.filter(pk__in=pks), action).values_list(
            "pk", flat=True
        )
    )
