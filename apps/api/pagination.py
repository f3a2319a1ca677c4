from rest_framework.pagination import CursorPagination


class SyncCursorPagination(CursorPagination):
    """Stable (updated_at, id) ordering so a syncing partner sees each row once per pass."""

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
