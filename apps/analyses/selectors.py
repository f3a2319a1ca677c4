"""Reads for analyses and their versions, through the policy module."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from apps.access.policy import Action, get_for_user, visible
from apps.analyses.models import Analysis, AnalysisVersion
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion


def analysis_get_for_user(user, pk, *, action: str = Action.VIEW) -> Analysis:
    """404 when not visible; 403 when visible but `action` is refused."""
    return get_for_user(
        user, Analysis.objects.select_related("project", "created_by"), action=action, pk=pk
    )


def analysis_versions_for(user, analysis) -> QuerySet:
    """The versions `user` may see (drafts only for editors), newest first, each with the
    inputs it cites that `user` may see too (an input's visibility is its own)."""
    versions = AnalysisVersion.objects.filter(analysis=analysis).select_related(
        "created_by", "approved_by"
    )
    return (
        visible(user, versions)
        .prefetch_related(
            Prefetch("datasets", queryset=visible(user, Dataset.objects.order_by("title"))),
            Prefetch(
                "protocol_versions",
                queryset=visible(user, ProtocolVersion.objects.select_related("protocol")),
            ),
        )
        .order_by("-number")
    )


def analysis_version_get_for_user(user, analysis, number: int, *, action=Action.VIEW):
    versions = AnalysisVersion.objects.select_related("analysis__project")
    return get_for_user(user, versions, action=action, analysis=analysis, number=number)


def analysis_version_get_for_download(user, *, analysis_pk, number: int) -> AnalysisVersion:
    """The version when `user` may download it; otherwise 404 whatever the reason."""
    versions = AnalysisVersion.objects.select_related("analysis").filter(
        analysis_id=analysis_pk, number=number
    )
    version = visible(user, versions, Action.DOWNLOAD).first()
    if version is None:
        raise Http404("Not found")
    return version


def analyses_visible_in_project(user, project) -> QuerySet:
    """The project's analyses `user` may see, with how many versions are past draft."""
    return (
        visible(user, Analysis.objects.filter(project=project))
        .annotate(version_count=Count("versions", filter=~Q(versions__status="draft")))
        .order_by("title")
    )


def citable_inputs(user, project) -> tuple[QuerySet, QuerySet]:
    """What an author may cite as a version's inputs: the project's datasets and protocol
    versions that the author may see."""
    datasets = visible(user, Dataset.objects.filter(project=project)).order_by("title")
    versions = visible(
        user, ProtocolVersion.objects.filter(protocol__project=project).select_related("protocol")
    ).order_by("protocol__title", "-number")
    return datasets, versions
