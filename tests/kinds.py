"""One test builder per shared kind (`apps.core.kinds`): `build(project, tier, named, title, draft)`
returns (item, a row of its file part that a viewer of the item may download; with `draft`,
one an editor may still delete — approved versions are immutable). The policy matrix and
the leak crawl build every declared kind with these; `tests/architecture/test_shared_kinds.py`
fails when a declared kind has no builder."""

from apps.analyses.models import AnalysisVersion
from apps.core.models import AccessTier
from apps.documents.models import ProtocolVersion
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory


def _dataset(project, tier: str, named=None, title: str = "", draft: bool = False):
    dataset = DatasetFactory(
        project=project,
        access_tier=tier,
        title=title or f"{tier} dataset",
        allowed_organisations=named,
    )
    return dataset, DatasetFileFactory(dataset=dataset)


def _protocol(project, tier: str, named=None, title: str = "", draft: bool = False):
    protocol = ProtocolFactory(project=project, access_tier=tier, title=title or f"{tier} protocol")
    if named:
        protocol.allowed_organisations.set(named)
    status = ProtocolVersion.Status.DRAFT if draft else ProtocolVersion.Status.APPROVED
    return protocol, ProtocolVersionFactory(protocol=protocol, status=status)


def _analysis(project, tier: str, named=None, title: str = "", draft: bool = False):
    analysis = AnalysisFactory(
        project=project,
        access_tier=tier,
        title=title or f"{tier} analysis",
        allowed_organisations=named,
    )
    status = AnalysisVersion.Status.DRAFT if draft else AnalysisVersion.Status.APPROVED
    return analysis, AnalysisVersionFactory(analysis=analysis, status=status)


BUILDERS = {"dataset": _dataset, "protocol": _protocol, "analysis": _analysis}
SHARED_TIERS = [tier for tier in AccessTier.values if tier != AccessTier.CONTROLLED]
