"""Reads every shared kind has, through the policy: an item, its versions, a file or version
to download. `model` is the kind's item model; a version or file model names its item's field
(`item_field`, `apps.core.shared_items.ItemPart`)."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from apps.access.policy import Action, get_for_user, visible
from apps.core.shared_items import VersionStatus


def item_get_for_user(user, model, pk, *, action: str = Action.VIEW, related=()):
    """404 when not visible; 403 when visible but `action` is refused."""
    items = model.objects.select_related("project", *related, "created_by")
    return get_for_user(user, items, action=action, pk=pk)


def items_visible_in_project(user, model, project) -> QuerySet:
    """The project's items `user` may see, with how many of their versions are past draft."""
    return (
        visible(user, model.objects.filter(project=project))
        .annotate(version_count=Count("versions", filter=~Q(versions__status=VersionStatus.DRAFT)))
        .order_by("title")
    )


def versions_for(user, item) -> QuerySet:
    """The versions of `item` that `user` may see (drafts only for editors), newest first."""
    model = item.versions.model
    versions = model.objects.filter(**{model.item_field: item}).select_related(
        "created_by", "approved_by"
    )
    return visible(user, versions).order_by("-number")


def version_get_for_user(user, item, number: int, *, action=Action.VIEW):
    model = item.versions.model
    versions = model.objects.select_related(f"{model.item_field}__project")
    return get_for_user(user, versions, action=action, **{model.item_field: item, "number": number})


def part_get_for_download(user, model, *, item_pk, **lookup):
    """The version or file when `user` may download it; otherwise 404 whatever the reason, so
    a download URL never reveals that it exists."""
    rows = model.objects.select_related(model.item_field).filter(
        **{f"{model.item_field}_id": item_pk}, **lookup
    )
    row = visible(user, rows, Action.DOWNLOAD).first()
    if row is None:
        raise Http404("Not found")
    return row
