"""Reads of analyses that only analyses have: the inputs a version cites (the rest is
`apps.items.selectors`)."""

from django.db.models import Prefetch, QuerySet

from apps.access.policy import visible
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion
from apps.items.selectors import versions_for


def analysis_versions_for(user, analysis) -> QuerySet:
    """The versions `user` may see (drafts only for editors), newest first, each with the
    inputs it cites that `user` may see too (an input's visibility is its own)."""
    return versions_for(user, analysis).prefetch_related(
        Prefetch("datasets", queryset=visible(user, Dataset.objects.order_by("title"))),
        Prefetch(
            "protocol_versions",
            queryset=visible(user, ProtocolVersion.objects.select_related("protocol")),
        ),
    )


def citable_inputs(user, project) -> tuple[QuerySet, QuerySet]:
    """What an author may cite as a version's inputs: the project's datasets and protocol
    versions that the author may see."""
    datasets = visible(user, Dataset.objects.filter(project=project)).order_by("title")
    versions = visible(
        user, ProtocolVersion.objects.filter(protocol__project=project).select_related("protocol")
    ).order_by("protocol__title", "-number")
    return datasets, versions
