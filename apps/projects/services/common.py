"""Helpers shared by the project services: permission checks, audit and notification shapes."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.access.policy import Action, can
from apps.audit.services import audit_record
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.projects.models import Membership, MembershipRole, Project, ProjectStatus

# Statuses in which a consortium is still being formed or run: partners and people may change.
OPEN_STATUSES = (ProjectStatus.PROPOSED, ProjectStatus.ACTIVE)
# Closed for good: the record stays as it was (completed projects may still tidy their record).
FROZEN_STATUSES = (ProjectStatus.ARCHIVED, ProjectStatus.WITHDRAWN, ProjectStatus.REJECTED)

PROJECT_PENDING_EVENT = EventType.PROJECT_PENDING


def require(user, action: str, obj, *alternatives: str) -> None:
    """PermissionDenied unless `user` may do `action` (or one of `alternatives`) on `obj`.

    Services check again what views already checked: the API and tasks call them too.
    """
    for candidate in (action, *alternatives):
        if can(user, candidate, obj):
            return
    raise PermissionDenied


def require_manager(user, project: Project) -> None:
    require(user, Action.MANAGE, project)


def require_editable(project: Project) -> None:
    """Archived, withdrawn and rejected projects are a record: nothing about them changes."""
    if project.status in FROZEN_STATUSES:
        raise ValidationError(
            f"The project is {project.get_status_display().lower()}; its record can no longer "
            "be changed."
        )


def project_url(project: Project, suffix: str = "") -> str:
    return reverse("projects:detail", kwargs={"slug": project.slug}) + suffix


def active_staff():
    return get_user_model().objects.filter(is_staff=True, is_active=True)


def current_coordinators(project: Project):
    users = Membership.objects.current().filter(project=project, role=MembershipRole.COORDINATOR)
    return get_user_model().objects.filter(pk__in=users.values("user_id"), is_active=True)


def audit(actor, action: str, target, project: Project, request=None, **extra):
    return audit_record(
        actor=actor,
        action=action,
        target=target,
        request=request,
        project_id=project.pk,
        **extra,
    )


def notify_membership(membership: Membership, subject: str, body: str = "") -> None:
    """Tell the person their place in a project changed (DESIGN.md §5)."""
    notification_emit(
        event_type=EventType.MEMBERSHIP_CHANGED,
        recipients=[membership.user],
        subject=subject,
        body=body,
        url=project_url(membership.project),
        target=membership,
        project=membership.project,
    )


def notify_coordinators(project: Project, subject: str, body: str = "", exclude=None) -> None:
    recipients = [u for u in current_coordinators(project) if exclude is None or u != exclude]
    notification_emit(
        event_type=EventType.MEMBERSHIP_CHANGED,
        recipients=recipients,
        subject=subject,
        body=body,
        url=project_url(project, "partners/"),
        target=project,
        project=project,
    )
