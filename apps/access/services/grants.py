"""Access grants: what the download check reads. Suspension, revocation, reinstatement and
expiry are services here; creation happens only through an approved request (requests.py)."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.access.models import AccessGrant, GrantStatus
from apps.audit.services import audit_record


def _grant_audit(
    *,
    grant: AccessGrant,
    actor,
    action: str,
    from_state: str,
    reason: str,
    request=None,
    actor_role: str = "",
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=grant,
        request=request,
        actor_role=actor_role,
        organisation_id=grant.organisation_id,
        project_id=grant.dataset.project_id,
        from_state=from_state,
        to_state=grant.status,
        reason=reason,
        details={
            "user": str(grant.user_id),
            "dataset": str(grant.dataset_id),
            "valid_until": grant.valid_until.isoformat(),
        },
    )


def _set_status(*, grant: AccessGrant, status: str, actor, reason: str) -> str:
    previous = grant.status
    grant.status = status
    grant.status_reason = reason
    grant.status_changed_at = timezone.now()
    grant.status_changed_by = actor if getattr(actor, "is_authenticated", False) else None
    grant.full_clean()
    grant.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_at",
            "status_changed_by",
            "updated_at",
        ]
    )
    return previous


def _suspend_each(grants: QuerySet, *, actor, reason: str, action: str) -> list[AccessGrant]:
    """Lock the live grants first so a concurrent revoke or reinstate cannot interleave."""
    suspended = []
    for grant in grants.select_for_update().select_related("dataset"):
        previous = _set_status(
            grant=grant, status=GrantStatus.SUSPENDED, actor=actor, reason=reason
        )
        _grant_audit(grant=grant, actor=actor, action=action, from_state=previous, reason=reason)
        suspended.append(grant)
    return suspended


@transaction.atomic
def grants_suspend_for_organisation(*, organisation, actor, reason: str) -> list[AccessGrant]:
    """Suspend every active grant that came through `organisation` (ACCESS.md: suspension of
    the organisation suspends its people's grants). Each suspension is audited. Suspended
    grants stay suspended when the organisation is reinstated: the committee decides."""
    live = AccessGrant.objects.filter(organisation=organisation, status=GrantStatus.ACTIVE)
    return _suspend_each(
        live, actor=actor, reason=reason, action="grant.suspend.organisation_suspended"
    )


@transaction.atomic
def grants_suspend_for_affiliation(*, affiliation, actor, reason: str) -> list[AccessGrant]:
    """Suspend the active grants a person holds through this affiliation's organisation (they
    left it, or the affiliation was ended). Grants through their other organisations stay."""
    live = AccessGrant.objects.filter(
        user_id=affiliation.user_id,
        organisation_id=affiliation.organisation_id,
        status=GrantStatus.ACTIVE,
    )
    return _suspend_each(live, actor=actor, reason=reason, action="grant.suspend.left_organisation")
