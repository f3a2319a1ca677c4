"""Protocols as a shared kind (`apps.core.kinds`): what every consumer of the registry needs."""

from apps.core.kinds import ALL_TIERS, Part, Search, SharedKind, register
from apps.core.models import AccessTier

PROTOCOL = register(
    SharedKind(
        name="protocol",
        label="Protocol",
        plural="Protocols",
        order=20,
        parts=(
            Part(
                "protocol",
                "documents.Protocol",
                "protocols",
                "apps.api.views.items.ProtocolViewSet",
            ),
            Part(
                "protocol-version",
                "documents.ProtocolVersion",
                "protocol-versions",
                "apps.api.views.items.ProtocolVersionViewSet",
                parent_fk="protocol_id",
                files=True,
                evidence="protocol_versions",
                evidence_label="Protocol",
            ),
        ),
        policy="items",
        # Controlled access is granted per dataset: a controlled protocol would serve no one.
        tiers=tuple(tier for tier in ALL_TIERS if tier != AccessTier.CONTROLLED),
        search=Search(fields=("title", "description")),
        detail_url="documents:detail",
        notifications=("protocol_version",),
        demo="apps.seeding.demo.documents",
    )
)
