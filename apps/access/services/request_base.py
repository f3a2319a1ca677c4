"""Helpers shared by the request services: the audit line, locking, status changes, notices."""

from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.access.models import (
    AccessRequest,
)
from apps.audit.services import audit_record
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import Affiliation

# The fields a requester fills in; copied on re-application and renewal, frozen at submission.
FORM_FIELDS = (
    "purpose",
    "is_commercial",
    "is_health_research",
    "is_ancestry_research",
    "is_methods_development",
    "is_clinical_care",
    "is_general_research",
    "is_controls_only",
    "involves_vulnerable_populations",
    "involves_stigmatising_conditions",
    "involves_children",
    "compares_population_groups",
    "involves_sex_or_gender",
    "involves_illegal_behaviour",
    "involves_psychological_traits",
    "is_genetic_study",
    "location",
    "ethics_reference",
    "ethics_expires_on",
    "attestations",
    "requested_until",
    "renewal_report",
)


# --- Helpers ----------------------------------------------------------------------------------
def request_audit(
    access_request, *, actor, action, request=None, from_state="", reason="", **extra
):
    audit_record(
        actor=actor,
        action=action,
        target=access_request,
        request=request,
        actor_role=extra.pop("actor_role", "") or role_of(actor, access_request),
        organisation_id=access_request.organisation_id,
        project_id=access_request.dataset.project_id,
        from_state=from_state,
        to_state=access_request.status,
        reason=reason,
        details={"snapshot_hash": access_request.snapshot_hash, **extra.pop("details", {})},
    )


def role_of(actor, access_request) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    if actor.pk == access_request.requester_id:
        return "requester"
    if actor.is_staff:
        return "staff"
    return "committee member"


def request_url(access_request) -> str:
    return reverse("access:request_detail", kwargs={"pk": access_request.pk})


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    return reason


def lock_request(access_request) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("dataset", "dataset__project", "organisation", "requester", "policy")
        .get(pk=access_request.pk)
    )


def set_status(access_request, status: str, *, fields=()) -> str:
    previous = access_request.status
    access_request.status = status
    access_request.full_clean()
    access_request.save(update_fields=["status", "updated_at", *fields])
    return previous


def validate_organisation(*, requester, organisation) -> None:
    belongs = Affiliation.objects.active().filter(user=requester, organisation=organisation)
    if not belongs.exists():
        raise ValidationError({"organisation": "Choose an organisation you currently belong to."})


def apply_form(access_request, data: dict) -> list:
    diseases = data.get("diseases")
    for name in FORM_FIELDS:
        if name in data:
            setattr(access_request, name, data[name])
    if "attestations" in data:
        access_request.attestations = sorted(set(data["attestations"] or ()))
    return list(diseases) if diseases is not None else None


def notify_filed(access_request, recipients) -> None:
    notification_emit(
        event_type=EventType.REQUEST_FILED,
        recipients=recipients,
        subject=f"Access request for {access_request.dataset.title}",
        body=f"{access_request.requester} ({access_request.organisation}) asks for access.",
        url=request_url(access_request),
        target=access_request,
        project=access_request.dataset.project,
    )


def notify_requester(access_request, what: str) -> None:
    reason = access_request.decision_reason
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[access_request.requester],
        subject=f"Your access request for {access_request.dataset.title} was {what}",
        body=f"Reason: {reason}" if reason else "",
        url=request_url(access_request),
        target=access_request,
        project=access_request.dataset.project,
    )
