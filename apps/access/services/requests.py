"""Access requests: the state machine of ACCESS.md, one service per transition.

    draft → submitted → refused (by the automatic check) | in_review
    in_review → returned → (resubmitted) in_review …
    in_review → approved | rejected
    withdrawn from any open state (draft, submitted, in_review, returned)

Decisions lock the request row (`select_for_update`) and re-check its state, so when two
reviewers decide at once exactly one decision stands and the other gets a TransitionError.
Every transition, check result and conflict determination writes an audit event in the same
transaction.
"""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.access import duo
from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import (
    OPEN_REQUEST_STATUSES,
    AccessGrant,
    AccessRequest,
    CheckOutcome,
    RequestStatus,
)
from apps.access.policy import Action, can
from apps.access.policy.requests import STEWARD_APPROVE
from apps.access.selectors import (
    check_policy,
    dataset_current_policy,
    live_grant_for,
    policy_terms,
    request_deciders,
    request_declaration,
    request_seats,
)
from apps.access.services.grants import grant_create_for_request
from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import Affiliation

# The fields a requester fills in; copied on re-application and renewal, frozen at submission.
FORM_FIELDS = (
    "purpose",
    "is_commercial",
    "is_ancestry_research",
    "is_methods_development",
    "is_clinical_care",
    "is_general_research",
    "is_controls_only",
    "involves_vulnerable_populations",
    "involves_stigmatising_conditions",
    "is_genetic_study",
    "location",
    "ethics_reference",
    "ethics_expires_on",
    "attestations",
    "requested_until",
)
CLOSED_FOR_REAPPLICATION = (RequestStatus.REFUSED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)


# --- Helpers ----------------------------------------------------------------------------------
def _audit(access_request, *, actor, action, request=None, from_state="", reason="", **extra):
    audit_record(
        actor=actor,
        action=action,
        target=access_request,
        request=request,
        actor_role=extra.pop("actor_role", "") or _role(actor, access_request),
        organisation_id=access_request.organisation_id,
        project_id=access_request.dataset.project_id,
        from_state=from_state,
        to_state=access_request.status,
        reason=reason,
        details={"snapshot_hash": access_request.snapshot_hash, **extra.pop("details", {})},
    )


def _role(actor, access_request) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    if actor.pk == access_request.requester_id:
        return "requester"
    if actor.is_staff:
        return "staff"
    return "committee member"


def _request_url(access_request) -> str:
    return reverse("access:request_detail", kwargs={"pk": access_request.pk})


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    return reason


def _lock(access_request) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("dataset", "dataset__project", "organisation", "requester", "policy")
        .get(pk=access_request.pk)
    )


def _set_status(access_request, status: str, *, fields=()) -> str:
    previous = access_request.status
    access_request.status = status
    access_request.full_clean()
    access_request.save(update_fields=["status", "updated_at", *fields])
    return previous


def _validate_organisation(*, requester, organisation) -> None:
    belongs = Affiliation.objects.active().filter(user=requester, organisation=organisation)
    if not belongs.exists():
        raise ValidationError({"organisation": "Choose an organisation you currently belong to."})


def _apply_form(access_request, data: dict) -> list:
    diseases = data.get("diseases")
    for name in FORM_FIELDS:
        if name in data:
            setattr(access_request, name, data[name])
    if "attestations" in data:
        access_request.attestations = sorted(set(data["attestations"] or ()))
    return list(diseases) if diseases is not None else None


# --- Drafts -----------------------------------------------------------------------------------
@transaction.atomic
def access_request_create(
    *,
    dataset,
    requester,
    organisation,
    data: dict,
    previous_request=None,
    renews_grant=None,
    request=None,
) -> AccessRequest:
    """A new draft. The caller fetched `dataset` with Action.REQUEST_ACCESS; checked again
    here because the rule (no open request) may have changed since the page was drawn."""
    if not can(requester, Action.REQUEST_ACCESS, dataset):
        raise NotAllowed("You cannot request access to this dataset now.")
    _validate_organisation(requester=requester, organisation=organisation)
    # A request made while a grant is live is its renewal, linked so the committee sees it.
    renews_grant = renews_grant or live_grant_for(requester, dataset)
    access_request = AccessRequest(
        dataset=dataset,
        requester=requester,
        organisation=organisation,
        status=RequestStatus.DRAFT,
        previous_request=previous_request,
        renews_grant=renews_grant,
    )
    diseases = _apply_form(access_request, data)
    access_request.full_clean()
    access_request.save()
    if diseases is not None:
        access_request.diseases.set(diseases)
    _audit(
        access_request,
        actor=requester,
        action="request.create",
        request=request,
        details={
            "previous_request": str(previous_request.pk) if previous_request else None,
            "renews_grant": str(renews_grant.pk) if renews_grant else None,
        },
    )
    return access_request


@transaction.atomic
def access_request_update(
    *, access_request, actor, data: dict, organisation=None, request=None
) -> AccessRequest:
    """Change a draft or a returned request (the requester only)."""
    locked = _lock(access_request)
    if locked.requester_id != actor.pk:
        raise NotAllowed("Only the requester can change the request.")
    if locked.status not in (RequestStatus.DRAFT, RequestStatus.RETURNED):
        raise TransitionError("This request can no longer be changed.")
    if organisation is not None and organisation.pk != locked.organisation_id:
        _validate_organisation(requester=actor, organisation=organisation)
        locked.organisation = organisation
    diseases = _apply_form(locked, data)
    locked.full_clean()
    locked.save()
    if diseases is not None:
        locked.diseases.set(diseases)
    return locked


# --- Submission and the automatic check -------------------------------------------------------
def _snapshot(access_request, policy, terms: dict) -> dict:
    r = access_request
    form = {name: getattr(r, name) for name in FORM_FIELDS}
    form["diseases"] = sorted(
        ({"id": str(d.pk), "name": d.name} for d in r.diseases.all()), key=lambda d: d["name"]
    )
    return json.loads(
        json.dumps(
            {
                "dataset": {"id": str(r.dataset_id), "title": r.dataset.title},
                "requester": {"id": str(r.requester_id), "email": r.requester.email},
                "organisation": {
                    "id": str(r.organisation_id),
                    "name": r.organisation.name,
                    "kind": r.organisation.kind,
                    "country": str(r.organisation.country),
                },
                "form": form,
                "policy": {
                    "id": str(policy.pk),
                    "version": policy.version,
                    "duo_release": policy.duo_release,
                    "terms": terms,
                },
            },
            default=str,
        )
    )


def snapshot_hash(snapshot: dict) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _validate_for_submission(access_request, terms: dict) -> None:
    errors = {}
    if not access_request.purpose.strip():
        errors["purpose"] = "Describe the purpose of your research."
    if "IRB" in terms and not access_request.ethics_reference.strip():
        errors["ethics_reference"] = "This dataset needs an ethics approval reference."
    missing = [t for t in duo.ATTESTATIONS if t in terms and t not in access_request.attestations]
    if missing:
        errors["attestations"] = f"Accept the dataset's obligations: {', '.join(missing)}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def access_request_submit(*, access_request, actor, request=None) -> AccessRequest:
    """Draft or returned → submitted → refused | in_review (| approved when the committee opted
    in to auto-approval and every check passes). Freezes the snapshot and its hash first."""
    locked = _lock(access_request)
    if locked.requester_id != actor.pk:
        raise NotAllowed("Only the requester can submit the request.")
    if locked.status not in (RequestStatus.DRAFT, RequestStatus.RETURNED):
        raise TransitionError("This request has already been submitted.")
    policy = dataset_current_policy(locked.dataset)
    if policy is None:
        raise ValidationError("This dataset has no data-use policy yet; requests open once it has.")
    terms = policy_terms(policy)
    _validate_for_submission(locked, terms)
    locked.policy = policy
    locked.snapshot = _snapshot(locked, policy, terms)
    locked.snapshot_hash = snapshot_hash(locked.snapshot)
    locked.submitted_at = timezone.now()
    previous = _set_status(
        locked,
        RequestStatus.SUBMITTED,
        fields=["policy", "snapshot", "snapshot_hash", "submitted_at"],
    )
    _audit(locked, actor=actor, action="request.submit", request=request, from_state=previous)
    _run_check(locked, terms=terms, request=request)
    return locked


def _run_check(access_request, *, terms: dict, request=None) -> None:
    result = duo.check(
        request_declaration(access_request), check_policy(terms), today=timezone.localdate()
    )
    access_request.check_outcome = result.outcome
    access_request.check_results = result.as_list()
    if result.refused:
        access_request.decision_reason = "\n".join(result.refusal_reasons)
        access_request.decided_at = timezone.now()
        status = RequestStatus.REFUSED
    else:
        status = RequestStatus.IN_REVIEW
    _set_status(
        access_request,
        status,
        fields=["check_outcome", "check_results", "decision_reason", "decided_at"],
    )
    _audit(
        access_request,
        actor=None,
        action="request.check",
        request=request,
        from_state=RequestStatus.SUBMITTED,
        reason=access_request.decision_reason if result.refused else "",
        details={"outcome": str(result.outcome), "verdicts": result.as_list()},
    )
    if result.refused:
        _notify_requester(access_request, "refused by the automatic check")
        return
    _record_conflicts(access_request, request=request)
    if access_request.dataset.auto_approve and result.outcome == CheckOutcome.PASS:
        _approve(access_request, actor=None, approved_until=None, reason="", request=request)
        return
    deciders = request_deciders(access_request)
    if not deciders:
        _escalate(access_request, actor=None, request=request)
    else:
        _notify_filed(access_request, deciders)


def _record_conflicts(access_request, *, request=None) -> None:
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


def _notify_filed(access_request, recipients) -> None:
    notification_emit(
        event_type=EventType.REQUEST_FILED,
        recipients=recipients,
        subject=f"Access request for {access_request.dataset.title}",
        body=f"{access_request.requester} ({access_request.organisation}) asks for access.",
        url=_request_url(access_request),
        target=access_request,
        project=access_request.dataset.project,
    )


def _notify_requester(access_request, what: str) -> None:
    reason = access_request.decision_reason
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[access_request.requester],
        subject=f"Your access request for {access_request.dataset.title} was {what}",
        body=f"Reason: {reason}" if reason else "",
        url=_request_url(access_request),
        target=access_request,
        project=access_request.dataset.project,
    )


# --- Escalation and declared conflicts --------------------------------------------------------
def _escalate(access_request, *, actor, request=None) -> None:
    access_request.escalated_to_staff = True
    access_request.save(update_fields=["escalated_to_staff", "updated_at"])
    _audit(
        access_request,
        actor=actor,
        action="request.escalate",
        request=request,
        from_state=access_request.status,
        reason="Every committee member is conflicted or no one sits on the committee.",
    )
    _notify_filed(access_request, User.objects.filter(is_staff=True, is_active=True))


@transaction.atomic
def access_request_escalate_if_needed(*, access_request, actor, request=None) -> bool:
    """Escalate an in-review request to staff when nobody unconflicted can decide it."""
    locked = _lock(access_request)
    if locked.status != RequestStatus.IN_REVIEW or locked.escalated_to_staff:
        return False
    if request_deciders(locked):
        return False
    _escalate(locked, actor=actor, request=request)
    return True


@transaction.atomic
def access_request_declare_conflict(
    *, access_request, actor, reason: str = "", request=None
) -> AccessRequest:
    """A seat holder declares a conflict: from now on they neither decide nor read the purpose."""
    if not can(actor, Action.VIEW, access_request):
        raise NotAllowed("You cannot see this request.")
    locked = _lock(access_request)
    _, created = locked.declared_conflicts.get_or_create(
        user=actor, defaults={"reason": reason.strip()}
    )
    if created:
        _audit(
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
    locked = _lock(access_request)
    if locked.status != RequestStatus.IN_REVIEW:
        raise TransitionError(f"This request is already {locked.get_status_display().lower()}.")
    if action == Action.DECIDE and locked.decided_at is not None:
        raise TransitionError("The committee has already decided this request.")
    if actor is not None and not can(actor, action, locked):
        raise NotAllowed("You cannot decide this request.")
    return locked


def _approve(locked, *, actor, approved_until, reason: str, request=None) -> AccessRequest:
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
        _audit(
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
    previous = _set_status(locked, RequestStatus.APPROVED, fields=fields)
    _audit(
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
    _notify_requester(locked, "approved")
    return locked


@transaction.atomic
def access_request_approve(
    *, access_request, actor, approved_until=None, reason: str = "", request=None
) -> AccessRequest:
    locked = _lock_for_decision(access_request, actor)
    return _approve(
        locked, actor=actor, approved_until=approved_until, reason=reason, request=request
    )


@transaction.atomic
def access_request_reject(*, access_request, actor, reason: str, request=None) -> AccessRequest:
    reason = _require_reason(reason)
    locked = _lock_for_decision(access_request, actor)
    locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
    previous = _set_status(
        locked, RequestStatus.REJECTED, fields=["decided_by", "decided_at", "decision_reason"]
    )
    _audit(
        locked,
        actor=actor,
        action="request.reject",
        request=request,
        from_state=previous,
        reason=reason,
    )
    _notify_requester(locked, "rejected")
    return locked


@transaction.atomic
def access_request_return(*, access_request, actor, reason: str, request=None) -> AccessRequest:
    """Back to the requester for changes; they edit and submit again (the check runs again)."""
    reason = _require_reason(reason)
    locked = _lock_for_decision(access_request, actor)
    locked.decision_reason = reason
    previous = _set_status(locked, RequestStatus.RETURNED, fields=["decision_reason"])
    _audit(
        locked,
        actor=actor,
        action="request.return",
        request=request,
        from_state=previous,
        reason=reason,
    )
    _notify_requester(locked, "returned for changes")
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
        locked.decision_reason = _require_reason(reason)
        locked.decided_by, locked.decided_at = actor, timezone.now()
        previous = _set_status(
            locked, RequestStatus.REJECTED, fields=["decision_reason", "decided_by", "decided_at"]
        )
        _audit(
            locked,
            actor=actor,
            action="request.reject.steward",
            request=request,
            from_state=previous,
            reason=locked.decision_reason,
            actor_role="steward",
        )
        _notify_requester(locked, "rejected")
        return locked
    locked.steward_approved_by, locked.steward_approved_at = actor, timezone.now()
    return _complete_approval(
        locked, actor=actor, fields=["steward_approved_by", "steward_approved_at"], request=request
    )


# --- Withdrawal, re-application, renewal ------------------------------------------------------
@transaction.atomic
def access_request_withdraw(
    *, access_request, actor, reason: str = "", request=None
) -> AccessRequest:
    """The requester withdraws an open request; a reason is needed once it was submitted."""
    locked = _lock(access_request)
    if locked.requester_id != actor.pk:
        raise NotAllowed("Only the requester can withdraw the request.")
    if locked.status not in OPEN_REQUEST_STATUSES:
        raise TransitionError(f"This request is already {locked.get_status_display().lower()}.")
    if locked.status != RequestStatus.DRAFT:
        reason = _require_reason(reason)
    locked.decision_reason = reason.strip()
    previous = _set_status(locked, RequestStatus.WITHDRAWN, fields=["decision_reason"])
    _audit(
        locked,
        actor=actor,
        action="request.withdraw",
        request=request,
        from_state=previous,
        reason=reason,
    )
    return locked


def _copied_form(source: AccessRequest) -> dict:
    data = {name: getattr(source, name) for name in FORM_FIELDS}
    data["diseases"] = list(source.diseases.all())
    return data


@transaction.atomic
def access_request_reapply(*, access_request, actor, request=None) -> AccessRequest:
    """Copy a closed request (refused, rejected, withdrawn) into a new draft linked to it."""
    if access_request.requester_id != actor.pk:
        raise NotAllowed("Only the requester can apply again.")
    if access_request.status not in CLOSED_FOR_REAPPLICATION:
        raise TransitionError("Only a refused, rejected or withdrawn request can be re-applied.")
    return access_request_create(
        dataset=access_request.dataset,
        requester=actor,
        organisation=access_request.organisation,
        data=_copied_form(access_request),
        previous_request=access_request,
        request=request,
    )


@transaction.atomic
def access_request_renew(*, grant: AccessGrant, actor, request=None) -> AccessRequest:
    """Renewal is a new request linked to the grant, never a silent extension."""
    if grant.user_id != actor.pk:
        raise NotAllowed("Only the holder can renew a grant.")
    return access_request_create(
        dataset=grant.dataset,
        requester=actor,
        organisation=grant.organisation,
        data=_copied_form(grant.request),
        previous_request=grant.request,
        renews_grant=grant,
        request=request,
    )
