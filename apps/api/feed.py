"""Reading the change feed for one caller: each entry becomes an upsert (the object as the
caller's list endpoint would show it now), a tombstone (resource type and id only) when the
object is gone or hidden from the caller *and the caller could see it before*, or nothing at
all (an object the caller never saw: see `apps.changes.selectors`). The same resolution feeds
webhooks."""

import json

from django.conf import settings

from apps.changes.registry import syncable
from apps.changes.selectors import cursor_encode, entries_after, latest_per_object, seen_before
from apps.projects.models import PUBLIC_CARD_FIELDS as CARD_FIELDS


def viewsets():
    """resource → the viewset whose list query and serializer render its feed entries: the
    router's viewset of each syncable resource (the shared kinds' parts among them, as
    declared in `apps.core.kinds`)."""
    from apps.api.urls import router

    resources = syncable()
    return {name: viewset for _prefix, viewset, name in router.registry if name in resources}


class SiteRequest:
    """Enough of a request for serializers outside an HTTP request (webhook dispatch)."""

    def __init__(self, user):
        self.user = user

    @staticmethod
    def build_absolute_uri(path: str) -> str:
        return settings.SITE_URL + path


def _view_for(viewset_class, request):
    view = viewset_class()
    view.request = request
    view.format_kwarg = None
    view.kwargs = {}
    view.action = "list"
    return view


def _current(request, resource: str, ids) -> dict:
    """{id: representation} for the rows of `resource` among `ids` the caller may see:
    one visible() query per resource type, plus the list view's prefetches."""
    view = _view_for(viewsets()[resource], request)
    rows = list(view.get_queryset().filter(pk__in=ids))
    context = {**view.get_serializer_context(), **view.extra_context(rows)}
    data = view.output_serializer(rows, many=True, context=context).data
    return {row.pk: item for row, item in zip(rows, data, strict=True)}


def _queryset_for(request):
    def queryset_for(resource: str, ids):
        return _view_for(viewsets()[resource], request).get_queryset().filter(pk__in=ids)

    return queryset_for


CARD_CAUSES = {"projects_project_disease_areas"}


def _card_changes(entries) -> dict:
    """project id → tests, one per entry, of "did this entry change the public card?" given
    the card as the caller sees it now. Broadcast entries caused by a project's hidden parts
    (partners, members, biomarkers) or by text behind the card (its summary) do not; entries
    addressed to a person or organisation do (their standing in the project changed)."""
    tests: dict = {}
    for entry in entries:
        if entry.resource != "project":
            continue
        tests.setdefault(entry.object_id, []).append(_card_test(entry))
    return tests


def _card_test(entry):
    if entry.audience_user_id or entry.audience_organisation_id or not entry.cause_table:
        return lambda data: True
    if entry.cause_table in CARD_CAUSES:
        return lambda data: True
    if entry.cause_table != "projects_project" or entry.cause_op != "U":
        return lambda data: entry.cause_table == "projects_project"
    before = entry.cause_before or {}

    def changed(data) -> bool:
        return any(_text(before.get(f)) != _text(data.get(f)) for f in CARD_FIELDS if f in data)

    return changed


def _only_hidden_parts(resource: str, data, card_tests) -> bool:
    if resource != "project" or data is None or data["details_visible"]:
        return False
    return not any(changed(data) for changed in card_tests)


def _text(value) -> str | None:
    return None if value is None else str(value)


def resolve(request, entries) -> list[dict]:
    latest = latest_per_object(entries)
    by_resource: dict[str, set] = {}
    for resource, object_id in latest:
        by_resource.setdefault(resource, set()).add(object_id)
    known = set(viewsets())
    current = {
        resource: _current(request, resource, ids)
        for resource, ids in by_resource.items()
        if resource in known
    }
    hidden = [
        entry
        for entry in entries
        if entry.resource in known and entry.object_id not in current[entry.resource]
    ]
    # Any of the object's entries in the page will do: the caller saw it before one of them.
    seen = seen_before(entries, hidden, _queryset_for(request))
    card_changed = _card_changes(entries)
    results = []
    for (resource, object_id), entry in latest.items():
        data = current.get(resource, {}).get(object_id)
        if data is None and (resource, object_id) not in seen:
            continue
        if _only_hidden_parts(resource, data, card_changed.get(object_id, ())):
            continue  # a card-only caller learns nothing of a project's hidden activity
        results.append(
            {
                "cursor": cursor_encode(entry.seq, entry.pk),
                "entry_id": entry.pk,
                "resource": resource,
                "id": object_id,
                "op": "upsert" if data is not None else "tombstone",
                "occurred_at": entry.occurred_at,
                "data": data,
            }
        )
    return results


def feed_page(request, after: tuple[int, int], limit: int):
    """(items, new cursor, whether more entries may follow at once)."""
    entries = entries_after(request.user, after, limit)
    cursor = (entries[-1].seq, entries[-1].pk) if entries else after
    return resolve(request, entries), cursor, len(entries) == limit


def feed_events(user, after: tuple[int, int], limit: int):
    """For webhooks: feed items with their JSON payload, as `user` sees them."""
    from rest_framework.utils.encoders import JSONEncoder

    items, cursor, _more = feed_page(SiteRequest(user), after, limit)
    events = []
    for item in items:
        payload = {
            "event": f"{item['resource']}.{item['op']}",
            "cursor": item["cursor"],
            "resource": item["resource"],
            "id": str(item["id"]),
            "op": item["op"],
            "occurred_at": item["occurred_at"],
            "data": item["data"],
        }
        payload = json.loads(json.dumps(payload, cls=JSONEncoder))
        events.append({**item, "payload": payload})
    return events, cursor
