"""Home-page sections: drafts waiting for the person who can move them on."""

from django.urls import reverse

from apps.access.policy import Action, visible
from apps.core.dashboard import DashboardItem, DashboardSection, register_section
from apps.datasets.models import Dataset, DatasetStatus
from apps.documents.models import ProtocolVersion
from apps.projects.models import Project

LIMIT = 5


@register_section(order=60)
def draft_datasets(user) -> DashboardSection | None:
    """Draft datasets in the person's projects: they are invisible to partners until published."""
    drafts = (
        visible(user, Dataset.objects.filter(status=DatasetStatus.DRAFT), Action.EDIT)
        .select_related("project")
        .order_by("-updated_at")[: LIMIT + 1]
    )
    drafts = list(drafts)
    if not drafts:
        return None
    return DashboardSection(
        title="Draft datasets to publish",
        items=[
            DashboardItem(
                label=dataset.title,
                url=reverse("datasets:detail", kwargs={"pk": dataset.pk}),
                meta=f"{dataset.project.acronym} · not yet visible to partners",
            )
            for dataset in drafts[:LIMIT]
        ],
        more_url=reverse("datasets:list") if len(drafts) > LIMIT else "",
    )


@register_section(order=61)
def protocol_versions_to_approve(user) -> DashboardSection | None:
    """Draft protocol versions in projects the person coordinates."""
    coordinated = visible(user, Project.objects.all(), Action.MANAGE).values("pk")
    versions = list(
        visible(
            user,
            ProtocolVersion.objects.filter(
                status=ProtocolVersion.Status.DRAFT, protocol__project__in=coordinated
            ),
        )
        .select_related("protocol__project")
        .order_by("created_at")[:LIMIT]
    )
    if not versions:
        return None
    return DashboardSection(
        title="Protocol versions awaiting your approval",
        items=[
            DashboardItem(
                label=f"{version.protocol.title} — version {version.number}",
                url=reverse("documents:detail", kwargs={"pk": version.protocol_id}),
                meta=version.protocol.project.acronym,
            )
            for version in versions
        ],
    )
