"""Writes for analyses and their versions: the shared writes of items and versions
(`apps.items.services`) with the analysis's own rules — a version cites the inputs it used,
and the project hears of a new version as soon as it is added.

A version is immutable once approved, as a protocol's. Each version records the datasets and
protocol versions it used — only those its author may see: the service asks the policy, so a
write through the API cannot cite (and so learn the existence of) an item hidden from its
author.
"""

from functools import partial

from django.core.exceptions import ValidationError

from apps.access.policy import visible
from apps.analyses.kind import ANALYSIS
from apps.analyses.models import Analysis, AnalysisVersion
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion
from apps.items import services as items
from apps.notifications.models import EventType


def _inputs_seen_by(actor, *, datasets, protocol_versions) -> tuple[list, list]:
    """The cited inputs, each of which `actor` may see; ValidationError naming any other (as
    "not found": the author learns nothing of an item hidden from them)."""
    dataset_ids = {getattr(d, "pk", d) for d in datasets}
    version_ids = {getattr(v, "pk", v) for v in protocol_versions}
    seen_datasets = list(visible(actor, Dataset.objects.filter(pk__in=dataset_ids)))
    seen_versions = list(visible(actor, ProtocolVersion.objects.filter(pk__in=version_ids)))
    errors = {}
    if len(seen_datasets) != len(dataset_ids):
        errors["datasets"] = "Cite only datasets you can see."
    if len(seen_versions) != len(version_ids):
        errors["protocol_versions"] = "Cite only protocol versions you can see."
    if errors:
        raise ValidationError(errors)
    return seen_datasets, seen_versions


def _citing(actor, change_note: str, *, datasets=(), protocol_versions=()):
    """`ItemWrites.citing`: a version records the datasets and protocol versions it used."""
    used_datasets, used_versions = _inputs_seen_by(
        actor, datasets=datasets, protocol_versions=protocol_versions
    )

    def cite(version) -> dict:
        version.datasets.set(used_datasets)
        version.protocol_versions.set(used_versions)
        return {
            "datasets": sorted(str(d.pk) for d in used_datasets),
            "protocol_versions": sorted(str(v.pk) for v in used_versions),
        }

    return cite


WRITES = items.ItemWrites(
    kind=ANALYSIS,
    model=Analysis,
    editable=("title", "description", "category", "access_tier"),
    version_model=AnalysisVersion,
    version_event=EventType.ANALYSIS_VERSION,
    announce_on="add",
    citing=_citing,
    # Analysis code and notebooks (Jupyter, Python, R scripts), as text: what runs an analysis
    # is shared as its source, never as a program the portal would serve to run.
    upload_types=(
        ("ipynb", "application/x-ipynb+json"),
        ("py", "text/x-python"),
        ("r", "text/x-r"),
    ),
)


def analysis_create(*, project, actor, **fields) -> Analysis:
    """An analysis with no versions yet (`items.item_create`: title, description, category,
    access_tier, allowed_organisations, request); the caller checked Action.CONTRIBUTE on the
    project."""
    return items.item_create(WRITES, project=project, actor=actor, **fields)


def analysis_update(*, analysis, actor, **changes) -> Analysis:
    """`items.item_update`: `allowed_organisations=None` keeps the named organisations."""
    return items.item_update(WRITES, item=analysis, actor=actor, **changes)


def analysis_version_add(*, analysis, **arguments) -> AnalysisVersion:
    """A new draft version (`items.version_add`: actor, upload, change_note, datasets,
    protocol_versions, request) citing the inputs it used; the project's members are told."""
    return items.version_add(WRITES, item=analysis, **arguments)


# The other writes, bound to analyses. The first version's `datasets` and `protocol_versions`
# are the inputs it used.
analysis_create_with_first_version = partial(items.item_create_with_first_version, WRITES)
analysis_version_approve = partial(items.version_approve, WRITES)
analysis_version_delete = partial(items.version_delete, WRITES)
analysis_version_record_download = partial(items.version_record_download, WRITES)
