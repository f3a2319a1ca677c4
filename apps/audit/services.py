"""Writing audit events. Call inside the transaction of the change being recorded."""

from typing import Any

from django.db import models

from apps.audit.models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    request=None,
    actor_role: str = "",
    organisation_id=None,
    project_id=None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event about `target` (any model instance)."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_role=actor_role,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        organisation_id=organisation_id,
        project_id=project_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        ip_address=client_ip(request),
        details=details or {},
    )
