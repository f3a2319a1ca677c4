"""Partner organisations: a coordinator invites, the organisation's admin accepts or declines,
and an organisation leaves (or a coordinator withdraws an invitation or removes a partner)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.access.policy import Action, can
from apps.core.guard import system_reads
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import Organisation, OrganisationStatus
from apps.projects.models import (
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
)
from apps.projects.services.common import (
    OPEN_STATUSES,
    audit,
    notify_coordinators,
    notify_membership,
    require,
    require_manager,
)

INVITABLE_ROLES = (PartnerRole.PARTNER, PartnerRole.ASSOCIATE)


def _organisation_admins(organisation: Organisation):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        is_active=True,
        affiliations__organisation=organisation,
        affiliations__ended_at__isnull=True,
        affiliations__role="admin",
    )


def _require_open(project: Project) -> None:
    if project.status not in OPEN_STATUSES:
        raise ValidationError(
            f"The project is {project.get_status_display().lower()}: its partners can no longer "
            "change."
        )


@transaction.atomic
@system_reads("partner_invite checks the project's partners before it writes")
def partner_invite(
    *,
    actor,
    project: Project,
    organisation: Organisation,
    role: str = PartnerRole.PARTNER,
    request=None,
) -> Partner:
    """Invite an approved organisation; its admins are notified and one of them answers."""
    require_manager(actor, project)
    Project.objects.select_for_update().filter(pk=project.pk).first()
    _require_open(project)
    if organisation.status != OrganisationStatus.APPROVED:
        raise ValidationError(
            {
                "organisation": f"{organisation.name} is not an approved organisation "
                f"({organisation.get_status_display().lower()}); only approved organisations "
                "can be invited."
            }
        )
    if role not in INVITABLE_ROLES:
        raise ValidationError({"role": "Invite an organisation as a partner or an associate."})
    current = project.partners.filter(
        organisation=organisation, status__in=[PartnerStatus.INVITED, PartnerStatus.ACTIVE]
    ).first()
    if current is not None:
        raise ValidationError(
            {
                "organisation": f"{organisation.name} is already "
                f"{'invited to' if current.status == PartnerStatus.INVITED else 'a partner in'} "
                "this project."
            }
        )
    partner = Partner(
        project=project,
        organisation=organisation,
        role=role,
        status=PartnerStatus.INVITED,
        invited_by=actor,
    )
    partner.full_clean()
    partner.save()
    audit(
        actor,
        "partner.invite",
        partner,
        project,
        request,
        organisation_id=organisation.pk,
        to_state=PartnerStatus.INVITED,
    )
    notification_emit(
        event_type=EventType.INVITATION,
        recipients=_organisation_admins(organisation),
        subject=f"{organisation.name} is invited to join {project.acronym}",
        body=f"The coordinators of “{project.title}” invite {organisation.name} to join as "
        f"{partner.get_role_display().lower()}. An organisation admin can accept or decline.",
        url="/projects/invitations/",
        target=partner,
        project=project,
    )
    return partner


def _answer(*, actor, partner: Partner, accept: bool, request=None) -> Partner:
    require(actor, Action.MANAGE, partner)
    locked = (
        Partner.objects.select_for_update()
        .select_related("project", "organisation")
        .get(pk=partner.pk)
    )
    if locked.status != PartnerStatus.INVITED:
        raise ValidationError("This invitation has already been answered or withdrawn.")
    project = locked.project
    if accept:
        _require_open(project)
        locked.status, locked.joined_on = PartnerStatus.ACTIVE, timezone.localdate()
    else:
        locked.status = PartnerStatus.DECLINED
    locked.full_clean()
    locked.save()
    verb = "accept" if accept else "decline"
    audit(
        actor,
        f"partner.{verb}",
        locked,
        project,
        request,
        organisation_id=locked.organisation_id,
        from_state=PartnerStatus.INVITED,
        to_state=locked.status,
    )
    notify_coordinators(
        project,
        f"{locked.organisation.name} {verb}ed the invitation to {project.acronym}",
    )
    return locked


@transaction.atomic
def partner_accept(*, actor, partner: Partner, request=None) -> Partner:
    """An admin of the invited organisation accepts: it becomes an active partner today."""
    return _answer(actor=actor, partner=partner, accept=True, request=request)


@transaction.atomic
def partner_decline(*, actor, partner: Partner, request=None) -> Partner:
    return _answer(actor=actor, partner=partner, accept=False, request=request)


@transaction.atomic
@system_reads("partner_leave finds the memberships that end with the partner")
def partner_leave(*, actor, partner: Partner, reason: str = "", request=None) -> Partner:
    """The organisation leaves (its admin) or is removed / its invitation withdrawn (a
    coordinator). Every current membership through it ends too; the project must keep a
    coordinator, so the lead partner, or one carrying the last coordinators, cannot leave."""
    project = partner.project
    if not (can(actor, Action.MANAGE, partner) or can(actor, Action.MANAGE, project)):
        raise PermissionDenied
    Project.objects.select_for_update().filter(pk=project.pk).first()
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if locked.status not in (PartnerStatus.INVITED, PartnerStatus.ACTIVE):
        raise ValidationError("This organisation is no longer part of the project.")
    if locked.role == PartnerRole.LEAD:
        raise ValidationError("The lead organisation cannot leave its own project.")
    departing = Membership.objects.current().filter(
        project=project, organisation_id=locked.organisation_id
    )
    remaining = (
        Membership.objects.current()
        .filter(project=project, role=MembershipRole.COORDINATOR)
        .exclude(pk__in=departing.values("pk"))
    )
    if departing.filter(role=MembershipRole.COORDINATOR).exists() and not remaining.exists():
        raise ValidationError(
            "This organisation carries the project's only coordinators; appoint a coordinator "
            "from another partner first."
        )
    from_state = locked.status
    locked.status, locked.left_on = PartnerStatus.LEFT, timezone.localdate()
    locked.save(update_fields=["status", "left_on", "updated_at"])
    _end_memberships_through(
        actor, locked, list(departing.select_related("user", "project")), request
    )
    audit(
        actor,
        "partner.leave" if from_state == PartnerStatus.ACTIVE else "partner.invitation_withdraw",
        locked,
        project,
        request,
        organisation_id=locked.organisation_id,
        from_state=from_state,
        to_state=PartnerStatus.LEFT,
        reason=reason.strip(),
    )
    notify_coordinators(
        project,
        f"{locked.organisation.name} is no longer a partner in {project.acronym}",
        exclude=actor,
    )
    return locked


def _end_memberships_through(actor, partner: Partner, memberships, request) -> None:
    now = timezone.now()
    for membership in memberships:
        membership.ended_at = now
        membership.save(update_fields=["ended_at", "updated_at"])
        audit(
            actor,
            "membership.end",
            membership,
            partner.project,
            request,
            organisation_id=partner.organisation_id,
            from_state=membership.role,
            to_state="ended",
            reason=f"{partner.organisation.name} left the project",
        )
        notify_membership(
            membership,
            f"Your membership of {partner.project.acronym} has ended",
            f"{partner.organisation.name} is no longer a partner in the project.",
        )
