"""Datasets as a shared kind (`apps.core.kinds`): what every consumer of the registry needs."""

from apps.core.kinds import ALL_TIERS, Part, Search, SharedKind, register
from apps.datasets.models import DatasetStatus

DATASET = register(
    SharedKind(
        name="dataset",
        label="Dataset",
        plural="Datasets",
        order=10,
        parts=(
            Part(
                "dataset",
                "datasets.Dataset",
                "datasets",
                "apps.api.views.items.DatasetViewSet",
                evidence="datasets",
                evidence_label="Dataset",
            ),
            Part(
                "dataset-file",
                "datasets.DatasetFile",
                "dataset-files",
                "apps.api.views.items.DatasetFileViewSet",
                parent_fk="dataset_id",
                files=True,
            ),
        ),
        policy="items",
        tiers=ALL_TIERS,
        search=Search(
            fields=("title", "description"),
            status="status",
            organisation="steward_organisation_id",
            year_from=("published_at", "created_at"),
            # `apps.access.policy.items.dataset_view_q`: published, or an editor or grant holder.
            published=DatasetStatus.PUBLISHED.value,
            granted=True,
        ),
        detail_url="datasets:detail",
        notifications=("dataset_published",),
        demo="apps.seeding.demo.datasets",
    )
)
