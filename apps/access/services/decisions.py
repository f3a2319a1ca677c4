"""Decisions on access requests: conflicts, escalation, approve / reject / return, and the
steward organisation's second approval.

Decisions lock the request row (`select_for_update`) and re-check its state, so when two
reviewers decide at once exactly one decision stands and the other gets a TransitionError."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import (
    AccessRequest,
    RequestStatus,
)
from apps.access.policy import Action, can
from apps.access.policy.requests import STEWARD_APPROVE
from apps.access.selectors import request_seats
from apps.access.services.grants import grant_create_for_request
from apps.access.services.request_base import (
    lock_request,
    notify_filed,
    notify_requester,
    request_audit,
    require_reason,
    set_status,
)
from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.security.mfa import MFA_REQUIRED_MESSAGE, user_needs_mfa_enrolment


def record_conflicts(access_request, *, request=None) -> None:
    """The conflict determination at the moment the request reaches the committee."""
    seats = request_seats(access_request)
    audit_record(
        actor=None,
        action="request.conflicts",
        target=access_request,
        request=request,
        actor_role="system",
        organisation_id=access_request.organisation_id,
        project_id=access_request.dataset.project_id,
        to_state=access_request.status,
        details={
            "seats": [
                {
                    "user": str(s.member.user_id),
                    "conflicted": s.conflicted,
                    "reasons": s.conflict_reasons,
                }
                for s in seats
            ]
        },
    )


# --- Escalation and declared conflicts --------------------------------------------------------
NOBODY_CAN_DECIDE = "Every committee member is conflicted or no one sits on the committee."


def escalate(access_request, *, actor, request=None, reason: str = NOBODY_CAN_DECIDE) -> None:
    access_request.escalated_to_staff = True
    access_request.save(update_fields=["escalated_to_staff", "updated_at"])
    request_audit(
        access_request,
        actor=actor,
        action="request.escalate",
        request=request,
        from_state=access_request.status,
        reason=reason,
    )
    notify_filed(access_request, User.objects.filter(is_staff=True, is_active=True))


@transaction.atomic
def access_request_escalate_if_needed(*, access_request, actor, request=None) -> bool:
    """Escalate an in-review request to staff when nobody unconflicted can decide it."""
    locked = lock_request(access_request)
    if locked.status != RequestStatus.IN_REVIEW or locked.escalated_to_staff:
        return False
    from apps.access.services.votes import unreachable_reason  # votes builds on this module

    reason = unreachable_reason(locked)
    if reason is None:
        return False
    escalate(locked, actor=actor, request=request, reason=reason)
    return True


@transaction.atomic
def access_request_declare_conflict(
    *, access_request, actor, reason: str = "", request=None
) -> AccessRequest:
    """A seat holder declares a conflict: from now on they neither decide nor read the purpose."""
    if not can(actor, Action.VIEW, access_request):
        raise NotAllowed("You cannot see this request.")
    locked = lock_request(access_request)
    _, created = locked.declared_conflicts.get_or_create(
        user=actor, defaults={"reason": reason.strip()}
    )
    if created:
        request_audit(
            locked,
            actor=actor,
            action="request.conflict.declare",
            request=request,
            from_state=locked.status,
            reason=reason.strip(),
        )
        access_request_escalate_if_needed(access_request=locked, actor=actor, request=request)
    return locked


# --- Decisions --------------------------------------------------------------------------------
def _lock_for_decision(access_request, actor, *, action: str = Action.DECIDE) -> AccessRequest:
    locked = lock_request(access_request)
    if locked.status != RequestStatus.IN_REVIEW:
        raise TransitionError(f"This request is already {locked.get_status_display().lower()}.")
    if action == Action.DECIDE and locked.decided_at is not None:
        raise TransitionError("The committee has already decided this request.")
    if actor is not None and user_needs_mfa_enrolment(actor):
        raise NotAllowed(MFA_REQUIRED_MESSAGE)
    if actor is not None and not can(actor, action, locked):
        raise NotAllowed("You cannot decide this request.")
    return locked


def approve(locked, *, actor, approved_until, reason: str, request=None) -> AccessRequest:
    now = timezone.now()
    if approved_until is not None and approved_until <= timezone.localdate():
        raise ValidationError({"approved_until": "Choose a date in the future."})
    locked.decided_by = actor
    locked.decided_at = now
    locked.decision_reason = reason.strip()
    locked.approved_until = approved_until
    fields = ["decided_by", "decided_at", "decision_reason", "approved_until"]
    if locked.dataset.requires_steward_approval:
        # The committee has spoken; the steward organisation's approval completes it.
        locked.full_clean()
        locked.save(update_fields=[*fields, "updated_at"])
        request_audit(
            locked,
            actor=actor,
            action="request.approve.committee",
            request=request,
            from_state=RequestStatus.IN_REVIEW,
            reason=locked.decision_reason,
        )
        return locked
    return _complete_approval(locked, actor=actor, fields=fields, request=request)


def _complete_approval(locked, *, actor, fields, request=None) -> AccessRequest:
    previous = set_status(locked, RequestStatus.APPROVED, fields=fields)
    request_audit(
        locked,
        actor=actor,
        action="request.approve",
        request=request,
        from_state=previous,
        reason=locked.decision_reason,
        actor_role="" if actor else "system (auto-approval)",
    )
    grant_create_for_request(
        access_request=locked,
        actor=actor,
        approved_at=timezone.now(),
        terms=locked.snapshot.get("policy", {}).get("terms", {}),
        request=request,
    )
    notify_requester(locked, "approved")
    return locked


def _refuse_alone_when_committee_votes(locked, actor) -> None:
    """Under a voting rule a member votes (services/votes.py); only staff deciding an
    escalated request approve or reject directly."""
    from apps.access.services.votes import decides_by_vote

    if actor is not None and not locked.escalated_to_staff and decides_by_vote(locked):
        raise NotAllowed("This committee decides by vote: cast your vote instead.")


@transaction.atomic
def access_request_approve(
    *, access_request, actor, approved_until=None, reason: str = "", request=None
) -> AccessRequest:
    locked = _lock_for_decision(access_request, actor)
    _refuse_alone_when_committee_votes(locked, actor)
    return approve(
        locked, actor=actor, approved_until=approved_until, reason=reason, request=request
    )


@transaction.atomic
def access_request_reject(*, access_request, actor, reason: str, request=None) -> AccessRequest:
    reason = require_reason(reason)
    locked = _lock_for_decision(access_request, actor)
    _refuse_alone_when_committee_votes(locked, actor)
    return reject(locked, actor=actor, reason=reason, request=request)


def reject(locked, *, actor, reason: str, request=None, **audit_extra) -> AccessRequest:
    """Record the rejection of a locked request: stamp, audit, tell the requester. By one member
    (`access_request_reject`) or by the committee's rule (`services.votes`, which adds the rule
    and the tally to the audit event through `audit_extra`)."""
    locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
    previous = set_status(
        locked, RequestStatus.REJECTED, fields=["decided_by", "decided_at", "decision_reason"]
    )
    request_audit(
        locked,
        actor=actor,
        action="request.reject",
        request=request,
        from_state=previous,
        reason=reason,
        **audit_extra,
    )
    notify_requester(locked, "rejected")
    return locked


@transaction.atomic
def access_request_return(*, access_request, actor, reason: str, request=None) -> AccessRequest:
    """Back to the requester for changes; they edit and submit again (the check runs again)."""
    reason = require_reason(reason)
    locked = _lock_for_decision(access_request, actor)
    locked.decision_reason = reason
    previous = set_status(locked, RequestStatus.RETURNED, fields=["decision_reason"])
    request_audit(
        locked,
        actor=actor,
        action="request.return",
        request=request,
        from_state=previous,
        reason=reason,
    )
    notify_requester(locked, "returned for changes")
    return locked


@transaction.atomic
def access_request_steward_decide(
    *, access_request, actor, approve: bool, reason: str = "", request=None
) -> AccessRequest:
    """The steward organisation's second approval (or refusal) after the committee approved."""
    locked = _lock_for_decision(access_request, actor, action=STEWARD_APPROVE)
    if locked.decided_at is None or locked.steward_approved_at is not None:
        raise TransitionError("This request is not awaiting the steward's approval.")
    if not approve:
        locked.decision_reason = require_reason(reason)
        locked.decided_by, locked.decided_at = actor, timezone.now()
        previous = set_status(
            locked, RequestStatus.REJECTED, fields=["decision_reason", "decided_by", "decided_at"]
        )
        request_audit(
            locked,
            actor=actor,
            action="request.reject.steward",
            request=request,
            from_state=previous,
            reason=locked.decision_reason,
            actor_role="steward",
        )
        notify_requester(locked, "rejected")
        return locked
    locked.steward_approved_by, locked.steward_approved_at = actor, timezone.now()
    return _complete_approval(
        locked, actor=actor, fields=["steward_approved_by", "steward_approved_at"], request=request
    )
