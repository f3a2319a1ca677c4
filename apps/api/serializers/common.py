"""Pieces every resource uses: the problem body, the resource base, user references."""

from datetime import datetime, timedelta

from django.urls import NoReverseMatch, get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.CharField(help_text="A URI naming the problem type; about:blank here.")
    title = serializers.CharField(help_text="Short summary of the problem type.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong with this request.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="For 400: messages per field name (`non_field_errors` for the whole body).",
    )


# An id each kind's lookup pattern accepts: a UUID, or digits for integer keys (audit events).
_PLACEHOLDERS = ("00000000-0000-0000-0000-000000000000", "987654321987654321")
_DETAIL_PATHS: dict[tuple[str, str], tuple[str, str]] = {}


def detail_path_parts(basename: str) -> tuple[str, str]:
    """The detail path of `basename` around its id, e.g. ("/api/v1/datasets/", "/").

    `reverse()` costs tens of microseconds and a list page needs several URLs per row, so it
    runs once per resource kind (and script prefix) with a placeholder id; every URL is then
    the two parts around `str(pk)`, exactly what `reverse()` gives for a UUID."""
    key = (basename, get_script_prefix())
    parts = _DETAIL_PATHS.get(key)
    if parts is None:
        for placeholder in _PLACEHOLDERS:
            try:
                path = reverse(f"api:{basename}-detail", kwargs={"id": placeholder})
            except NoReverseMatch:
                continue
            head, _, tail = path.rpartition(placeholder)
            parts = _DETAIL_PATHS[key] = (head, tail)
            break
        else:
            raise NoReverseMatch(f"No API detail route for {basename!r}.")
    return parts


def api_url(context, basename: str, pk) -> str:
    """The absolute API URL of a resource (a path without a request in the context).

    Same result as `request.build_absolute_uri(reverse(...))`: for a path starting with "/"
    Django prefixes the scheme and host, and an id's hex digits and hyphens need no quoting,
    so the absolute prefix is computed once per request and kind and the id appended."""
    request = context.get("request")
    if request is None:
        head, tail = detail_path_parts(basename)
        return f"{head}{pk}{tail}"
    parts = getattr(request, "_api_url_parts", None)
    if parts is None:
        parts = request._api_url_parts = {}
    absolute = parts.get(basename)
    if absolute is None:
        head, tail = detail_path_parts(basename)
        absolute = parts[basename] = (request.build_absolute_uri(head), tail)
    return f"{absolute[0]}{pk}{absolute[1]}"


def prefetched(obj, name: str, to_attr: str):
    """The related rows `name` of `obj`: the list a `Prefetch(name, to_attr=to_attr)` left,
    else `getattr(obj, name).all()` (a query, or Django's own prefetch cache)."""
    rows = getattr(obj, to_attr, None)
    return rows if rows is not None else getattr(obj, name).all()


def timestamp(value, zone) -> str | None:
    """A datetime as DRF's `DateTimeField` renders it: ISO 8601 in the current time zone,
    with UTC written as "Z"; None stays None."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def text_timestamp(text: str | None, zone) -> str | None:
    """`timestamp()` of a time the database sent as text in UTC (`apps.api.rows`).

    A full sync renders three per dataset and two per file, and parsing, converting and
    formatting a datetime for each was a fifth of a page's CPU. PostgreSQL's text of a
    timestamptz in a UTC session is "YYYY-MM-DD HH:MM:SS[.f]+00" (years 1 to 9999). Within one
    UTC hour whose offset in `zone` is the same whole number of hours throughout, the local
    text is the hour's local prefix, the minutes and seconds as sent, the fraction padded to
    six digits as `isoformat` writes it, and the hour's offset; the prefix and offset are
    worked out once per hour and zone. Any other text or hour takes the datetime's own path
    (tests/api/test_text_timestamp.py compares the two)."""
    if text is None:
        return None
    length = len(text)
    if text[length - 3 :] == "+00" and text[10] == " " and (length == 22 or text[19] == "."):
        local = _LOCAL_HOURS.get((zone, text[:13]))
        if local is None:
            local = _remember_local_hour(zone, text[:13])
        if local:
            fraction = text[19 : length - 3].ljust(7, "0") if length > 22 else ""
            return local[0] + text[13:19] + fraction + local[1]
    return timestamp(datetime.fromisoformat(text), zone)


# (zone, UTC "YYYY-MM-DD HH") → (local "YYYY-MM-DDTHH", offset as written), or () when the
# hour has no one whole-hour offset in the zone.
_LOCAL_HOURS: dict[tuple, tuple] = {}
_LOCAL_HOURS_LIMIT = 100_000
_LAST_MICROSECOND_OF_HOUR = timedelta(hours=1) - timedelta(microseconds=1)


def _local_hour(zone, utc_hour: str) -> tuple[str, str] | tuple[()]:
    """For the UTC hour "YYYY-MM-DD HH": its local "YYYY-MM-DDTHH" in `zone` and the offset
    as `timestamp()` writes it, when both hold for the whole hour; else ()."""
    start = datetime.fromisoformat(f"{utc_hour}:00:00+00:00")
    offset = start.astimezone(zone).utcoffset()
    last_offset = (start + _LAST_MICROSECOND_OF_HOUR).astimezone(zone).utcoffset()
    if offset != last_offset or offset.total_seconds() % 3600:
        return ()
    written = timestamp(start, zone)  # "YYYY-MM-DDTHH:00:00" and the offset
    return written[:13], written[19:]


def _remember_local_hour(zone, utc_hour: str) -> tuple:
    local = _local_hour(zone, utc_hour)
    if len(_LOCAL_HOURS) >= _LOCAL_HOURS_LIMIT:
        _LOCAL_HOURS.clear()
    _LOCAL_HOURS[(zone, utc_hour)] = local
    return local


def uuid_text(value) -> str | None:
    """A UUID as DRF's `UUIDField` renders it (hyphenated); None stays None."""
    return None if value is None else str(value)


class ResourceOutput(serializers.ModelSerializer):
    """Every resource: its UUID, its API URL and the sync timestamps."""

    url = serializers.SerializerMethodField(help_text="This resource's API URL.")

    api_basename: str = ""

    def get_url(self, obj) -> str:
        return api_url(self.context, self.api_basename, obj.pk)


class UserRef(serializers.Serializer):
    """A person as other people see them: their name, never their e-mail address."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_name(self, user) -> str:
        return f"{user.first_name} {user.last_name}".strip() or "(no name given)"


BASE_FIELDS = ("id", "url", "created_at", "updated_at")
