"""People in a project. Coordinators add people from active partner organisations; rights stop
by themselves after `ends_on` (the policy compares dates); ended rows are kept for auditors."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.access.policy import Action, can
from apps.organisations.models import Affiliation, Organisation, OrganisationStatus
from apps.projects.models import Membership, MembershipRole, PartnerStatus, Project
from apps.projects.services.common import OPEN_STATUSES, audit, notify_membership, require_manager


def _check_role_and_end(role: str, ends_on) -> None:
    if role not in MembershipRole.values:
        raise ValidationError({"role": "Choose a role."})
    if role == MembershipRole.OBSERVER and ends_on is None:
        raise ValidationError(
            {"ends_on": "Observers are read-only and time-limited: give an end date."}
        )
    if ends_on is not None and ends_on < timezone.localdate():
        raise ValidationError({"ends_on": "The end date must not be in the past."})


# A service checks its own invariants before it writes; nothing read here is shown to anyone.
_INVARIANT = "a membership service checks the project's invariants before writing"


def _check_eligible(project: Project, user, organisation: Organisation) -> None:
    is_partner = (
        project.partners.filter(organisation=organisation, status=PartnerStatus.ACTIVE)
        .system(_INVARIANT)
        .exists()
    )
    if not is_partner:
        raise ValidationError(
            {"organisation": f"{organisation.name} is not an active partner in this project."}
        )
    affiliated = Affiliation.objects.filter(
        user=user,
        organisation=organisation,
        ended_at__isnull=True,
        organisation__status=OrganisationStatus.APPROVED,
    ).exists()
    if not affiliated or not user.is_active:
        raise ValidationError(
            {"email": f"{user.email} is not a current member of {organisation.name}."}
        )
    current = Membership.objects.filter(project=project, user=user, ended_at__isnull=True)
    if current.system(_INVARIANT).exists():
        raise ValidationError({"email": f"{user.email} is already a member of this project."})


@transaction.atomic
def membership_add(
    *,
    actor,
    project: Project,
    user,
    organisation: Organisation,
    role: str = MembershipRole.CONTRIBUTOR,
    ends_on=None,
    request=None,
) -> Membership:
    """Add a person who currently belongs to an active partner organisation; they are told."""
    require_manager(actor, project)
    Project.objects.select_for_update().filter(pk=project.pk).first()
    if project.status not in OPEN_STATUSES:
        raise ValidationError(
            f"The project is {project.get_status_display().lower()}: no one can join it now."
        )
    _check_role_and_end(role, ends_on)
    _check_eligible(project, user, organisation)
    membership = Membership(
        project=project,
        user=user,
        organisation=organisation,
        role=role,
        ends_on=ends_on,
        added_by=actor,
    )
    membership.full_clean()
    membership.save()
    audit(
        actor,
        "membership.add",
        membership,
        project,
        request,
        organisation_id=organisation.pk,
        to_state=role,
        details={"user": str(user.pk), "ends_on": ends_on.isoformat() if ends_on else None},
    )
    notify_membership(
        membership,
        f"You were added to {project.acronym} as {membership.get_role_display().lower()}",
        f"You are now a {membership.get_role_display().lower()} in “{project.title}”.",
    )
    return membership


def _lock_current(membership: Membership) -> Membership:
    Project.objects.select_for_update().filter(pk=membership.project_id).first()
    locked = (
        Membership.objects.select_for_update()
        .select_related("project", "user", "organisation")
        .get(pk=membership.pk)
    )
    if locked.ended_at is not None:
        raise ValidationError("This membership has already ended.")
    return locked


def _require_another_coordinator(membership: Membership, message: str) -> None:
    if membership.role != MembershipRole.COORDINATOR:
        return
    others = (
        Membership.objects.current()
        .filter(project_id=membership.project_id, role=MembershipRole.COORDINATOR)
        .exclude(pk=membership.pk)
        .system(_INVARIANT)
    )
    if not others.exists():
        raise ValidationError(message)


@transaction.atomic
def membership_change_role(
    *, actor, membership: Membership, role: str, ends_on=None, request=None
) -> Membership:
    require_manager(actor, membership.project)
    locked = _lock_current(membership)
    _check_role_and_end(role, ends_on)
    if role != MembershipRole.COORDINATOR:
        _require_another_coordinator(
            locked, "The project needs at least one coordinator: appoint another one first."
        )
    from_role = locked.role
    locked.role, locked.ends_on = role, ends_on
    locked.full_clean()
    locked.save(update_fields=["role", "ends_on", "updated_at"])
    audit(
        actor,
        "membership.change_role",
        locked,
        locked.project,
        request,
        organisation_id=locked.organisation_id,
        from_state=from_role,
        to_state=role,
        details={"ends_on": ends_on.isoformat() if ends_on else None},
    )
    notify_membership(
        locked,
        f"Your role in {locked.project.acronym} is now {locked.get_role_display().lower()}",
    )
    return locked


@transaction.atomic
def membership_end(*, actor, membership: Membership, reason: str = "", request=None) -> Membership:
    """End a membership now (a coordinator, or the person leaving). The row stays for history;
    the project's last coordinator can neither leave nor be removed."""
    is_self = actor.pk == membership.user_id
    if not (is_self or can(actor, Action.MANAGE, membership.project)):
        raise PermissionDenied
    locked = _lock_current(membership)
    _require_another_coordinator(
        locked,
        "The last coordinator cannot leave or be removed: appoint another coordinator first.",
    )
    locked.ended_at = timezone.now()
    locked.save(update_fields=["ended_at", "updated_at"])
    audit(
        actor,
        "membership.leave" if is_self else "membership.end",
        locked,
        locked.project,
        request,
        organisation_id=locked.organisation_id,
        from_state=locked.role,
        to_state="ended",
        reason=reason.strip(),
    )
    if not is_self:
        notify_membership(locked, f"Your membership of {locked.project.acronym} has ended")
    return locked
