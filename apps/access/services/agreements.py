"""Data use agreements (#18): versions written by the committee or the dataset's editors, and
the requester's acceptance of the current version at submission."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.access.agreements import text_sha256
from apps.access.models import AgreementAcceptance, DataAccessCommittee, DataUseAgreement
from apps.audit.services import audit_record, client_ip


def current_agreement_for(dataset) -> DataUseAgreement | None:
    """The dataset's newest agreement version, else its project committee's, else None."""
    agreements = DataUseAgreement.objects.system(
        "the agreement that governs a dataset the caller already holds"
    )
    own = agreements.filter(dataset_id=dataset.pk).order_by("-version").first()
    if own is not None:
        return own
    return agreements.filter(committee__project_id=dataset.project_id).order_by("-version").first()


@transaction.atomic
def agreement_version_add(
    *, actor, title: str, text: str, dataset=None, committee=None, request=None
) -> DataUseAgreement:
    """A new, immutable version (numbered after the last one of the same owner)."""
    if (dataset is None) == (committee is None):
        raise ValueError("An agreement belongs to a dataset or to a committee.")
    title, text = (title or "").strip(), (text or "").strip()
    errors = {}
    if not title:
        errors["title"] = "Give the agreement a title."
    if not text:
        errors["text"] = "Write the agreement's text."
    if errors:
        raise ValidationError(errors)
    owner = {"dataset": dataset} if dataset is not None else {"committee": committee}
    # Lock the owner row so two editors saving at once get consecutive version numbers.
    owner_model = type(dataset) if dataset is not None else DataAccessCommittee
    owner_model.objects.select_for_update().filter(pk=(dataset or committee).pk).first()
    versions = DataUseAgreement.objects.system("numbering follows every version of the owner")
    last = versions.filter(**owner).aggregate(v=Max("version"))["v"] or 0
    agreement = DataUseAgreement(
        **owner,
        version=last + 1,
        title=title,
        text=text,
        text_sha256=text_sha256(text),
        created_by=actor,
    )
    agreement.full_clean()
    agreement.save()
    project_id = dataset.project_id if dataset is not None else committee.project_id
    audit_record(
        actor=actor,
        action="agreement.version.add",
        target=agreement,
        request=request,
        project_id=project_id,
        to_state=f"version {agreement.version}",
        details={"sha256": agreement.text_sha256},
    )
    return agreement


def agreement_accept_for_submission(
    locked_request, *, actor, version, request=None
) -> AgreementAcceptance | None:
    """Called inside `access_request_submit`'s transaction: when the dataset carries an
    agreement, the requester must accept its current version (stale pages are refused)."""
    agreement = current_agreement_for(locked_request.dataset)
    if agreement is None:
        return None
    try:
        accepted = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        accepted = None
    if accepted is None:
        raise ValidationError(
            {"agreement": f"Accept the data use agreement (version {agreement.version}) to submit."}
        )
    if accepted != agreement.version:
        raise ValidationError(
            {
                "agreement": f"The agreement changed to version {agreement.version} while you "
                "were reading it; read it again and accept the new version."
            }
        )
    acceptance = AgreementAcceptance(
        request=locked_request,
        agreement=agreement,
        user=actor,
        accepted_at=timezone.now(),
        ip_address=client_ip(request),
        text_sha256=agreement.text_sha256,
    )
    acceptance.full_clean()
    acceptance.save()
    audit_record(
        actor=actor,
        action="agreement.accept",
        target=acceptance,
        request=request,
        actor_role="requester",
        organisation_id=locked_request.organisation_id,
        project_id=locked_request.dataset.project_id,
        details={
            "request": str(locked_request.pk),
            "agreement": str(agreement.pk),
            "version": agreement.version,
            "sha256": agreement.text_sha256,
        },
    )
    return acceptance


def latest_acceptance(access_request) -> AgreementAcceptance | None:
    return (
        AgreementAcceptance.objects.system("the acceptance of a request the caller holds")
        .filter(request_id=access_request.pk)
        .select_related("agreement")
        .order_by("-accepted_at")
        .first()
    )
