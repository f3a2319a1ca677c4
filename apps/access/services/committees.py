"""Data access committees: one per project, seats held by people of partner organisations,
at most one chair. Ending a seat may leave requests with nobody unconflicted to decide them:
those escalate to portal staff in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.access.models import AccessRequest, CommitteeMember, DataAccessCommittee, RequestStatus
from apps.audit.services import audit_record
from apps.organisations.models import Affiliation
from apps.projects.models import Partner, PartnerStatus


def _committee_audit(*, committee, actor, action: str, target=None, request=None, **extra):
    audit_record(
        actor=actor,
        action=action,
        target=target or committee,
        request=request,
        project_id=committee.project_id,
        **extra,
    )


@transaction.atomic
def committee_create(*, project, actor, name: str = "", request=None) -> DataAccessCommittee:
    """The project's committee (one per project; a second call returns the existing one)."""
    existing = (
        DataAccessCommittee.objects.system("one committee per project, whoever creates it")
        .filter(project=project)
        .first()
    )
    if existing is not None:
        return existing
    committee = DataAccessCommittee(
        project=project, name=name.strip() or f"{project.acronym} data access committee"
    )
    committee.full_clean()
    committee.save()
    _committee_audit(committee=committee, actor=actor, action="committee.create", request=request)
    return committee


def _validate_seat(*, committee, user, organisation) -> None:
    errors = {}
    is_partner = (
        Partner.objects.system("a seat needs an active partner organisation")
        .filter(
            project_id=committee.project_id, organisation=organisation, status=PartnerStatus.ACTIVE
        )
        .exists()
    )
    if not is_partner:
        errors["organisation"] = "Members come from the project's active partner organisations."
    belongs = Affiliation.objects.active().filter(user=user, organisation=organisation).exists()
    if not belongs:
        errors["user"] = f"{user} does not belong to {organisation}."
    elif committee.members.filter(user=user, ended_at__isnull=True).exists():
        errors["user"] = f"{user} already sits on this committee."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def committee_member_add(
    *, committee, user, organisation, actor, is_chair: bool = False, request=None
) -> CommitteeMember:
    _validate_seat(committee=committee, user=user, organisation=organisation)
    if is_chair:
        _unset_chair(committee)
    member = CommitteeMember(
        committee=committee, user=user, organisation=organisation, is_chair=is_chair
    )
    member.full_clean()
    member.save()
    _committee_audit(
        committee=committee,
        actor=actor,
        action="committee.member.add",
        target=member,
        request=request,
        organisation_id=organisation.pk,
        to_state="chair" if is_chair else "member",
        details={"user": str(user.pk)},
    )
    return member


def _unset_chair(committee) -> None:
    committee.members.filter(is_chair=True, ended_at__isnull=True).update(
        is_chair=False, updated_at=timezone.now()
    )


@transaction.atomic
def committee_chair_set(*, member: CommitteeMember, actor, request=None) -> CommitteeMember:
    if member.ended_at is not None:
        raise ValidationError("This seat has ended; add the person again first.")
    _unset_chair(member.committee)
    member.is_chair = True
    member.full_clean()
    member.save(update_fields=["is_chair", "updated_at"])
    _committee_audit(
        committee=member.committee,
        actor=actor,
        action="committee.chair.set",
        target=member,
        request=request,
        organisation_id=member.organisation_id,
        to_state="chair",
        details={"user": str(member.user_id)},
    )
    return member


@transaction.atomic
def committee_member_end(
    *, member: CommitteeMember, actor, reason: str = "", request=None
) -> CommitteeMember:
    """End a seat (kept for history). Requests in review that now have nobody unconflicted
    left escalate to staff."""
    locked = CommitteeMember.objects.select_for_update().get(pk=member.pk)
    if locked.ended_at is not None:
        return locked
    locked.ended_at = timezone.now()
    locked.is_chair = False
    locked.full_clean()
    locked.save(update_fields=["ended_at", "is_chair", "updated_at"])
    _committee_audit(
        committee=locked.committee,
        actor=actor,
        action="committee.member.end",
        target=locked,
        request=request,
        organisation_id=locked.organisation_id,
        from_state="member",
        to_state="ended",
        reason=reason,
        details={"user": str(locked.user_id)},
    )
    from apps.access.services.decisions import access_request_escalate_if_needed

    in_review = AccessRequest.objects.filter(
        dataset__project_id=locked.committee.project_id,
        status=RequestStatus.IN_REVIEW,
        escalated_to_staff=False,
    ).select_related("dataset", "organisation", "requester")
    for access_request in in_review:
        access_request_escalate_if_needed(access_request=access_request, actor=actor)
    return locked
