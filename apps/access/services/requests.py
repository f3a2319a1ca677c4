"""Access requests: the state machine of ACCESS.md, one service per transition.

    draft → submitted → refused (by the automatic check) | in_review
    in_review → returned → (resubmitted) in_review …
    in_review → approved | rejected
    withdrawn from any open state (draft, submitted, in_review, returned)

This module holds the requester's side (drafts, submission with the automatic check,
withdrawal, re-application, renewal); `decisions.py` holds the committee's. Every transition,
check result and conflict determination writes an audit event in the same transaction.
"""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import transaction
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
from apps.access.selectors import (
    check_policy,
    dataset_current_policy,
    live_grant_for,
    policy_terms,
    request_deciders,
    request_declaration,
)
from apps.access.services.agreements import agreement_accept_for_submission

# The committee's transitions live in decisions.py; the public ones are re-exported here because
# callers (the API) import every request transition from this module.
from apps.access.services.decisions import (  # noqa: F401
    access_request_approve,
    access_request_declare_conflict,
    access_request_reject,
    access_request_return,
    access_request_steward_decide,
    approve,
    escalate,
    record_conflicts,
)
from apps.access.services.request_base import (
    FORM_FIELDS,
    apply_form,
    lock_request,
    notify_filed,
    notify_requester,
    request_audit,
    require_reason,
    set_status,
    validate_organisation,
)

CLOSED_FOR_REAPPLICATION = (RequestStatus.REFUSED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)


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
    validate_organisation(requester=requester, organisation=organisation)
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
    diseases = apply_form(access_request, data)
    access_request.full_clean()
    access_request.save()
    if diseases is not None:
        access_request.diseases.set(diseases)
    request_audit(
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
    locked = lock_request(access_request)
    if locked.requester_id != actor.pk:
        raise NotAllowed("Only the requester can change the request.")
    if locked.status not in (RequestStatus.DRAFT, RequestStatus.RETURNED):
        raise TransitionError("This request can no longer be changed.")
    if organisation is not None and organisation.pk != locked.organisation_id:
        validate_organisation(requester=actor, organisation=organisation)
        locked.organisation = organisation
    diseases = apply_form(locked, data)
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
    if access_request.renews_grant_id and not access_request.renewal_report.strip():
        errors["renewal_report"] = "Say how the data was used and what was published."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def access_request_submit(
    *, access_request, actor, agreement_version=None, request=None
) -> AccessRequest:
    """Draft or returned → submitted → refused | in_review (| approved when the committee opted
    in to auto-approval and every check passes). Freezes the snapshot and its hash first."""
    locked = lock_request(access_request)
    if locked.requester_id != actor.pk:
        raise NotAllowed("Only the requester can submit the request.")
    if locked.status not in (RequestStatus.DRAFT, RequestStatus.RETURNED):
        raise TransitionError("This request has already been submitted.")
    policy = dataset_current_policy(locked.dataset)
    if policy is None:
        raise ValidationError("This dataset has no data-use policy yet; requests open once it has.")
    terms = policy_terms(policy)
    _validate_for_submission(locked, terms)
    # A dataset with a data use agreement: its current version is accepted here (#18).
    agreement_accept_for_submission(locked, actor=actor, version=agreement_version, request=request)
    locked.policy = policy
    locked.snapshot = _snapshot(locked, policy, terms)
    locked.snapshot_hash = snapshot_hash(locked.snapshot)
    locked.submitted_at = timezone.now()
    previous = set_status(
        locked,
        RequestStatus.SUBMITTED,
        fields=["policy", "snapshot", "snapshot_hash", "submitted_at"],
    )
    request_audit(
        locked, actor=actor, action="request.submit", request=request, from_state=previous
    )
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
    set_status(
        access_request,
        status,
        fields=["check_outcome", "check_results", "decision_reason", "decided_at"],
    )
    request_audit(
        access_request,
        actor=None,
        action="request.check",
        request=request,
        from_state=RequestStatus.SUBMITTED,
        reason=access_request.decision_reason if result.refused else "",
        details={"outcome": str(result.outcome), "verdicts": result.as_list()},
    )
    if result.refused:
        notify_requester(access_request, "refused by the automatic check")
        return
    record_conflicts(access_request, request=request)
    if access_request.dataset.auto_approve and result.outcome == CheckOutcome.PASS:
        approve(access_request, actor=None, approved_until=None, reason="", request=request)
        return
    from apps.access.services.votes import unreachable_reason  # votes builds on decisions

    deciders = request_deciders(access_request)
    unreachable = unreachable_reason(access_request)
    if unreachable is not None:
        escalate(access_request, actor=None, request=request, reason=unreachable)
    else:
        notify_filed(access_request, deciders)


# --- Withdrawal, re-application, renewal ------------------------------------------------------
@transaction.atomic
def access_request_withdraw(
    *, access_request, actor, reason: str = "", request=None
) -> AccessRequest:
    """The requester withdraws an open request; a reason is needed once it was submitted."""
    locked = lock_request(access_request)
    if locked.requester_id != actor.pk:
        raise NotAllowed("Only the requester can withdraw the request.")
    if locked.status not in OPEN_REQUEST_STATUSES:
        raise TransitionError(f"This request is already {locked.get_status_display().lower()}.")
    if locked.status != RequestStatus.DRAFT:
        reason = require_reason(reason)
    locked.decision_reason = reason.strip()
    previous = set_status(locked, RequestStatus.WITHDRAWN, fields=["decision_reason"])
    request_audit(
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
def access_request_renew(
    *, grant: AccessGrant, actor, report: str = "", request=None
) -> AccessRequest:
    """Renewal is a new request linked to the grant, never a silent extension: the committee
    decides it, and an approval extends the same grant (`grants.grant_create_for_request`).
    `report`: how the data was used and what was published (needed to submit)."""
    if grant.user_id != actor.pk:
        raise NotAllowed("Only the holder can renew a grant.")
    data = _copied_form(grant.request)
    data["renewal_report"] = (report or "").strip()
    return access_request_create(
        dataset=grant.dataset,
        requester=actor,
        organisation=grant.organisation,
        data=data,
        previous_request=grant.request,
        renews_grant=grant,
        request=request,
    )
