"""One test builder per shared kind (`apps.core.kinds`): `build(project, tier, named)` returns
(item, a row of its file part that a viewer of the item may download). The policy matrix and
the leak crawl build every declared kind with these; `tests/architecture/test_shared_kinds.py`
fails when a declared kind has no builder."""

from apps.core.models import AccessTier
from apps.documents.models import ProtocolVersion
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory


def _dataset(project, tier: str, named=None, title: str = ""):
    dataset = DatasetFactory(
        project=project,
        access_tier=tier,
        title=title or f"{tier} dataset",
        allowed_organisations=named,
    )
    return dataset, DatasetFileFactory(dataset=dataset)


def _protocol(project, tier: str, named=None, title: str = ""):
    protocol = ProtocolFactory(project=project, access_tier=tier, title=title or f"{tier} protocol")
    if named:
        protocol.allowed_organisations.set(named)
    return protocol, ProtocolVersionFactory(
        protocol=protocol, status=ProtocolVersion.Status.APPROVED
    )


def _analysis(project, tier: str, named=None, title: str = ""):
    analysis = AnalysisFactory(
        project=project,
        access_tier=tier,
        title=title or f"{tier} analysis",
        allowed_organisations=named,
    )
    return analysis, AnalysisVersionFactory(analysis=analysis)


BUILDERS = {"dataset": _dataset, "protocol": _protocol, "analysis": _analysis}
SHARED_TIERS = [tier for tier in AccessTier.values if tier != AccessTier.CONTROLLED]
