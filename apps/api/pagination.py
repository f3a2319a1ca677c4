"""Keyset ("cursor") pagination on (updated_at, id), the order a syncing partner needs.

DRF's own CursorPagination keys on one field plus an offset among ties; a keyset on the pair
never skips nor repeats a row however many share a timestamp, and costs no COUNT query. The
cursor is opaque to clients (URL-safe base64 of the last row's key and the direction).
"""

import base64
import binascii
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _encode(updated_at: datetime, pk, forward: bool) -> str:
    raw = f"{'n' if forward else 'p'}|{updated_at.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[bool, datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, stamp, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        moment = parse_datetime(stamp)
        if direction not in ("n", "p") or moment is None:
            raise ValueError
        if not pk.replace("-", "").isalnum():
            raise ValueError
        return direction == "n", moment, pk
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refused_cursor() from None


def page_size_from(request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Use a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(raw)


def keyset(queryset, field: str, forward: bool, after: tuple | None):
    """`queryset` in sync order (`field`, then id; reversed when going back), from just after
    the position `after` (`field`'s value and an id) when there is one.

    The first condition is implied by the second; it is there for the database, which can
    start an index scan at the cursor from it (not from the OR) and stop after a page instead
    of reading every row before the cursor."""
    if forward:
        queryset = queryset.order_by(field, "id")
        if after:
            queryset = queryset.filter(**{f"{field}__gte": after[0]}).filter(
                Q(**{f"{field}__gt": after[0]}) | Q(**{field: after[0], "id__gt": after[1]})
            )
        return queryset
    return (
        queryset.order_by(f"-{field}", "-id")
        .filter(**{f"{field}__lte": after[0]})
        .filter(Q(**{f"{field}__lt": after[0]}) | Q(**{field: after[0], "id__lt": after[1]}))
    )


def refused_cursor() -> ValidationError:
    return ValidationError({"cursor": ["This cursor is not one the API issued."]})


class SyncCursorPagination(BasePagination):
    """`?cursor=` and `?page_size=` (1–200, default 50); answers {next, previous, results}."""

    def position(self, request, view) -> tuple[str, int, bool, tuple | None]:
        """The page asked for: the sync field, the page size, the direction and the position
        after which it starts (None for the first page). Refuses a bad size or cursor."""
        self.request = request
        self.cursor = request.query_params.get("cursor")
        field = getattr(view, "sync_field", "updated_at")
        size = page_size_from(request)
        if not self.cursor:
            return field, size, True, None
        forward, moment, pk = _decode(self.cursor)
        return field, size, forward, (moment, pk)

    def paginate_queryset(self, queryset, request, view=None):
        field, size, forward, after = self.position(request, view)
        try:
            rows = list(keyset(queryset, field, forward, after)[: size + 1])
        except (ValueError, DjangoValidationError):
            raise refused_cursor() from None
        return self.page(rows, view, field, size, forward)

    def page(self, rows: list, view, field: str, size: int, forward: bool) -> list:
        """The page's rows (the statement asked for one more than `size`, to know whether
        there is a next page), in sync order, with the next and previous cursors noted."""
        more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()
        self.next_cursor = self.previous_cursor = None
        if rows:
            # A view listing plain rows instead of model instances says where a row stands.
            key = getattr(view, "page_key", None) or (lambda row: (getattr(row, field), row.pk))
            first, last = key(rows[0]), key(rows[-1])
            if more or not forward:
                self.next_cursor = _encode(*last, forward=True)
            if self.cursor and (forward or more):
                self.previous_cursor = _encode(*first, forward=False)
        return rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page; null on the last page.",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The previous page; null on the first page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1–{MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
