"""Writes for analyses and their versions.

A version is immutable once approved, as a protocol's: only the approval of a later version
may touch it, and only to mark it superseded. Each version records the datasets and protocol
versions it used — only those its author may see: the service asks the policy, so a write
through the API cannot cite (and so learn the existence of) an item hidden from its author.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from apps.access.policy import visible
from apps.access.tiers import PROTOCOL_TIERS, tier_validate
from apps.analyses.models import Analysis, AnalysisVersion
from apps.audit.services import audit_record
from apps.core.models import AccessTier
from apps.core.uploads import (
    delete_stored_file_on_commit,
    inspect_upload,
    store_protected_file,
    stored_file_rollback,
)
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.projects.models import Membership

EDITABLE_FIELDS = ("title", "description", "category", "access_tier")
Status = AnalysisVersion.Status
# The analysis tiers are the protocol tiers: no grants, so no controlled tier.
ANALYSIS_TIERS = PROTOCOL_TIERS


def _validate_tier(*, project, access_tier: str, allowed_organisations) -> list:
    return tier_validate(
        kind="Analyses",
        tiers=ANALYSIS_TIERS,
        project=project,
        access_tier=access_tier,
        allowed_organisations=allowed_organisations,
    )


def _audit(target, action: str, *, analysis, actor, request=None, **extra):
    return audit_record(
        actor=actor,
        action=action,
        target=target,
        request=request,
        project_id=analysis.project_id,
        **extra,
    )


@transaction.atomic
def analysis_create(
    *,
    project,
    actor,
    title: str,
    description: str = "",
    category: str = "code",
    access_tier: str = AccessTier.CONSORTIUM,
    allowed_organisations=(),
    request=None,
) -> Analysis:
    """An analysis with no versions yet; the caller checked Action.CONTRIBUTE on the project."""
    named = _validate_tier(
        project=project, access_tier=access_tier, allowed_organisations=allowed_organisations
    )
    analysis = Analysis(
        project=project,
        title=title,
        description=description,
        category=category,
        access_tier=access_tier,
        created_by=actor,
    )
    analysis.full_clean()
    analysis.save()
    analysis.allowed_organisations.set(named)
    _audit(analysis, "analysis.create", analysis=analysis, actor=actor, request=request)
    return analysis


@transaction.atomic
def analysis_update(*, analysis, actor, allowed_organisations=None, request=None, **changes):
    """`allowed_organisations=None` keeps the named organisations; a list replaces them."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"analysis_update cannot change {', '.join(sorted(unknown))}")
    analysis = Analysis.objects.select_for_update().get(pk=analysis.pk)
    for field, value in changes.items():
        setattr(analysis, field, value)
    if allowed_organisations is None:
        allowed_organisations = list(analysis.allowed_organisations.all())
    named = _validate_tier(
        project=analysis.project,
        access_tier=analysis.access_tier,
        allowed_organisations=allowed_organisations,
    )
    analysis.full_clean()
    analysis.save()
    analysis.allowed_organisations.set(named)
    _audit(
        analysis,
        "analysis.update",
        analysis=analysis,
        actor=actor,
        request=request,
        details={"fields": sorted(changes)},
    )
    return analysis


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


def analysis_version_add(
    *,
    analysis,
    actor,
    upload,
    change_note: str,
    datasets=(),
    protocol_versions=(),
    request=None,
) -> AnalysisVersion:
    """A new draft version with the next number, citing the inputs it used. The analysis row
    is locked while the number is chosen; the stored file is deleted if anything fails."""
    if not change_note.strip():
        raise ValidationError({"change_note": "Say what changed in this version."})
    used_datasets, used_versions = _inputs_seen_by(
        actor, datasets=datasets, protocol_versions=protocol_versions
    )
    inspected = inspect_upload(upload)
    version = AnalysisVersion(analysis=analysis, created_by=actor, change_note=change_note.strip())
    with stored_file_rollback(version), transaction.atomic():
        store_protected_file(version, upload, inspected)
        Analysis.objects.select_for_update().filter(pk=analysis.pk).first()
        numbered = analysis.versions.system("numbering follows every version of the analysis")
        latest = numbered.aggregate(latest=Max("number"))["latest"] or 0
        version.number = latest + 1
        version.full_clean()
        version.save()
        version.datasets.set(used_datasets)
        version.protocol_versions.set(used_versions)
        _audit(
            version,
            "analysis.version.add",
            analysis=analysis,
            actor=actor,
            request=request,
            to_state=Status.DRAFT,
            details={
                "number": version.number,
                "sha256": version.sha256,
                "size": version.size,
                "datasets": sorted(str(d.pk) for d in used_datasets),
                "protocol_versions": sorted(str(v.pk) for v in used_versions),
            },
        )
        _notify_new_version(version, analysis, actor)
    return version


def _locked_draft(version) -> AnalysisVersion:
    locked = AnalysisVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != Status.DRAFT:
        raise ValidationError(
            f"Version {locked.number} is {locked.get_status_display().lower()} and cannot be "
            "changed; upload a new version instead."
        )
    return locked


@transaction.atomic
def analysis_version_approve(*, version, actor, request=None) -> AnalysisVersion:
    """Draft → approved; the previously approved version becomes superseded in the same
    transaction. The caller checked Action.MANAGE on the project (coordinators approve)."""
    analysis = Analysis.objects.select_for_update().get(pk=version.analysis_id)
    locked = _locked_draft(version)
    previous = list(
        AnalysisVersion.objects.select_for_update().filter(
            analysis=analysis, status=Status.APPROVED
        )
    )
    if any(old.number > locked.number for old in previous):
        raise ValidationError("A later version is already approved; this draft cannot replace it.")
    for old in previous:
        old.status = Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
        _audit(
            old,
            "analysis.version.supersede",
            analysis=analysis,
            actor=actor,
            request=request,
            from_state=Status.APPROVED,
            to_state=Status.SUPERSEDED,
            details={"number": old.number, "superseded_by": locked.number},
        )
    locked.status = Status.APPROVED
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    _audit(
        locked,
        "analysis.version.approve",
        analysis=analysis,
        actor=actor,
        request=request,
        from_state=Status.DRAFT,
        to_state=Status.APPROVED,
        details={"number": locked.number, "sha256": locked.sha256},
    )
    return locked


def _notify_new_version(version, analysis, actor) -> None:
    """Tell the project's current members (not the author). The notice's target is the
    analysis, so it shows only to those who may see it (`policy.notifications`)."""
    members = (
        Membership.objects.current()
        .filter(project_id=analysis.project_id)
        .exclude(user_id=actor.pk)
        .select_related("user")
        .system("whom to tell; each notice is shown only where its target's rule allows")
    )
    notification_emit(
        event_type=EventType.ANALYSIS_VERSION,
        recipients=[membership.user for membership in members],
        subject=f"New analysis version in {analysis.project.acronym}: {analysis.title} "
        f"v{version.number}",
        body=version.change_note,
        url=reverse("analyses:detail", kwargs={"pk": analysis.pk}),
        target=analysis,
        project=analysis.project,
    )


@transaction.atomic
def analysis_version_record_download(*, version, actor, request=None) -> None:
    """The audit event of one download, written before the body is sent."""
    _audit(
        version,
        "analysis.version.download",
        analysis=version.analysis,
        actor=actor,
        request=request,
        details={"number": version.number, "sha256": version.sha256, "size": version.size},
    )


def analysis_version_delete(*, version, actor, request=None) -> None:
    """Delete a draft (never an approved or superseded one); the file goes after commit."""
    with transaction.atomic():
        locked = _locked_draft(version)
        _audit(
            locked,
            "analysis.version.delete",
            analysis=locked.analysis,
            actor=actor,
            request=request,
            from_state=Status.DRAFT,
            details={"number": locked.number, "sha256": locked.sha256},
        )
        delete_stored_file_on_commit(locked.file)
        locked.delete()


def analysis_create_with_first_version(
    *, project, actor, upload, change_note: str, inputs=None, request=None, **fields
) -> Analysis:
    """The analysis and its first draft version together: neither exists without the other.
    `inputs`: {"datasets": …, "protocol_versions": …} the first version used."""
    with transaction.atomic():
        analysis = analysis_create(project=project, actor=actor, request=request, **fields)
        analysis_version_add(
            analysis=analysis,
            actor=actor,
            upload=upload,
            change_note=change_note,
            request=request,
            **(inputs or {}),
        )
    return analysis
