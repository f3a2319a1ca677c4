"""Reading the change feed for one caller: each entry becomes an upsert (the object as the
caller's list endpoint would show it now), a tombstone (resource type and id only) when the
object is gone or hidden from the caller *and the caller could see it before*, or nothing at
all (an object the caller never saw: see `apps.changes.selectors`). The same resolution feeds
webhooks."""

import json

from django.conf import settings

from apps.changes.selectors import cursor_encode, entries_after, latest_per_object, seen_before


def viewsets():
    from apps.api.views.access import AccessGrantViewSet, AccessRequestViewSet
    from apps.api.views.activity import MilestoneViewSet, NotificationViewSet
    from apps.api.views.deliverables import DeliverableViewSet
    from apps.api.views.items import (
        DatasetFileViewSet,
        DatasetViewSet,
        ProtocolVersionViewSet,
        ProtocolViewSet,
    )
    from apps.api.views.organisations import DiseaseAreaViewSet, OrganisationViewSet
    from apps.api.views.projects import ProjectViewSet

    return {
        "organisation": OrganisationViewSet,
        "disease-area": DiseaseAreaViewSet,
        "project": ProjectViewSet,
        "dataset": DatasetViewSet,
        "dataset-file": DatasetFileViewSet,
        "protocol": ProtocolViewSet,
        "protocol-version": ProtocolVersionViewSet,
        "milestone": MilestoneViewSet,
        "deliverable": DeliverableViewSet,
        "access-request": AccessRequestViewSet,
        "grant": AccessGrantViewSet,
        "notification": NotificationViewSet,
    }


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
    seen = seen_before(hidden, _queryset_for(request))
    results = []
    for (resource, object_id), entry in latest.items():
        data = current.get(resource, {}).get(object_id)
        if data is None and (resource, object_id) not in seen:
            continue
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
