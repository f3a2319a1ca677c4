"""Analyses as a shared kind (`apps.core.kinds`): what every consumer of the registry needs."""

from apps.core.kinds import ALL_TIERS, Part, Search, SharedKind, register
from apps.core.models import AccessTier

ANALYSIS = register(
    SharedKind(
        name="analysis",
        label="Analysis",
        plural="Analyses",
        order=30,
        parts=(
            Part(
                "analysis",
                "analyses.Analysis",
                "analyses",
                "apps.analyses.api.views.AnalysisViewSet",
            ),
            Part(
                "analysis-version",
                "analyses.AnalysisVersion",
                "analysis-versions",
                "apps.analyses.api.views.AnalysisVersionViewSet",
                parent_fk="analysis_id",
                files=True,
                evidence="analysis_versions",
                evidence_label="Analysis",
            ),
        ),
        policy="analyses",
        # Controlled access is granted per dataset: a controlled analysis would serve no one.
        tiers=tuple(tier for tier in ALL_TIERS if tier != AccessTier.CONTROLLED),
        search=Search(fields=("title", "description"), status="category"),
        detail_url="analyses:detail",
        notifications=("analysis_version",),
        demo="apps.seeding.demo.analyses",
    )
)
