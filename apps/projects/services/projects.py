"""The project lifecycle: proposal, staff decision, status transitions, edits and funders.

State machine (DESIGN.md §2):

    proposed ──activate (staff)──▶ active ──complete──▶ completed ──archive──▶ archived
        │  └──reject (staff, reason)──▶ rejected
        └──withdraw (reason)──▶ withdrawn ◀──withdraw (reason)── active
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.access.policy import Action, can
from apps.access.policy.subjects import active_organisation_ids
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import Organisation, OrganisationKind, OrganisationStatus
from apps.projects.models import (
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    ProjectFunder,
    ProjectStatus,
    SummaryVisibility,
)
from apps.projects.services.common import (
    PROJECT_PENDING_EVENT,
    active_staff,
    audit,
    current_coordinators,
    project_url,
    require,
    require_editable,
    require_manager,
)

# Path segments under /projects/ that a project's slug must never shadow.
RESERVED_SLUGS = frozenset({"propose", "mine", "staff", "invitations", "new"})
EDITABLE_FIELDS = (
    "title",
    "acronym",
    "summary",
    "start_date",
    "end_date",
    "summary_visibility",
    "rec_reference",
    "iras_id",
    "consortium_agreement_signed_on",
    "consortium_agreement",
)

FUNDER_KINDS = (OrganisationKind.FUNDER, OrganisationKind.CHARITY)


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    actions: tuple[str, ...]  # policy actions any one of which allows it
    past_tense: str
    needs_reason: bool = False


PROPOSED, ACTIVE, COMPLETED = ProjectStatus.PROPOSED, ProjectStatus.ACTIVE, ProjectStatus.COMPLETED
STAFF, COORDINATOR = (Action.MODERATE,), (Action.MANAGE,)
EITHER = (Action.MANAGE, Action.MODERATE)
TRANSITIONS = {
    "activate": Transition((PROPOSED,), ACTIVE, STAFF, "activated"),
    "reject": Transition((PROPOSED,), ProjectStatus.REJECTED, STAFF, "rejected", True),
    "complete": Transition((ACTIVE,), COMPLETED, COORDINATOR, "completed"),
    "archive": Transition((COMPLETED,), ProjectStatus.ARCHIVED, EITHER, "archived"),
    "withdraw": Transition((PROPOSED, ACTIVE), ProjectStatus.WITHDRAWN, EITHER, "withdrawn", True),
}


def project_slug_for(acronym: str) -> str:
    """A new, unique slug from the acronym; slugs never change, so links keep working."""
    base = slugify(acronym)[:70] or "project"
    candidate, number = base, 2
    taken = Project.objects.system("a new slug must be unique among every project, seen or not")
    while candidate in RESERVED_SLUGS or taken.filter(slug=candidate).exists():
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def disease_area_names_refresh(project: Project) -> None:
    """Keep the searchable copy of the project's disease-area names in step."""
    names = ", ".join(sorted(area.name for area in project.disease_areas.all()))
    if names != project.disease_area_names:
        project.disease_area_names = names
        Project.objects.filter(pk=project.pk).update(disease_area_names=names)


def disease_area_renamed(area) -> None:
    """Registered with `apps.diseases.services.on_rename` (ProjectsConfig.ready): a rename
    reaches every project's searchable copy of its areas' names."""
    projects = area.projects.system("a rename updates every project's stored copy")
    for project in projects.prefetch_related("disease_areas"):
        disease_area_names_refresh(project)


def _save_new_or_changed(project: Project) -> None:
    """Save; a concurrent duplicate acronym surfaces as the same form error as a checked one."""
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError as error:
        if "acronym" in str(error):
            raise ValidationError(
                {"acronym": f"Another project already uses the acronym “{project.acronym}”."}
            ) from error
        raise


def _proposing_organisation(proposer, organisation: Organisation) -> Organisation:
    allowed = Organisation.objects.filter(id__in=active_organisation_ids(proposer))
    if organisation is None or not allowed.filter(pk=organisation.pk).exists():
        raise ValidationError(
            {
                "organisation": "You can propose a project only for an approved organisation "
                "you belong to."
            }
        )
    return organisation


@transaction.atomic
def project_propose(
    *,
    proposer,
    organisation: Organisation,
    title: str,
    acronym: str,
    summary: str,
    disease_areas=(),
    start_date=None,
    end_date=None,
    summary_visibility: str = SummaryVisibility.PUBLIC,
    rec_reference: str = "",
    iras_id: str = "",
    request=None,
) -> Project:
    """A new proposed project led by `organisation`, with `proposer` as its coordinator.

    Side effects: the organisation becomes the active lead partner, portal staff are notified
    that a project awaits activation, and the proposal is audited.
    """
    _proposing_organisation(proposer, organisation)
    project = Project(
        title=" ".join(title.split()),
        acronym=acronym.strip(),
        summary=summary.strip(),
        start_date=start_date,
        end_date=end_date,
        summary_visibility=summary_visibility,
        rec_reference=rec_reference.strip(),
        iras_id=iras_id.strip(),
        proposed_by=proposer,
        status=ProjectStatus.PROPOSED,
    )
    project.slug = project_slug_for(project.acronym)
    project.full_clean()
    _save_new_or_changed(project)
    project.disease_areas.set(disease_areas)
    disease_area_names_refresh(project)
    today = timezone.localdate()
    lead = Partner(
        project=project,
        organisation=organisation,
        role=PartnerRole.LEAD,
        status=PartnerStatus.ACTIVE,
        invited_by=proposer,
        joined_on=today,
    )
    lead.full_clean()
    lead.save()
    coordinator = Membership(
        project=project,
        user=proposer,
        organisation=organisation,
        role=MembershipRole.COORDINATOR,
        added_by=proposer,
    )
    coordinator.full_clean()
    coordinator.save()
    audit(
        proposer,
        "project.propose",
        project,
        project,
        request,
        organisation_id=organisation.pk,
        to_state=ProjectStatus.PROPOSED,
    )
    notification_emit(
        event_type=PROJECT_PENDING_EVENT,
        recipients=active_staff(),
        subject=f"Project awaiting activation: {project.acronym}",
        body=f"{proposer.get_full_name() or proposer.email} of {organisation.name} proposed "
        f"“{project.title}”.",
        url="/projects/staff/",
        target=project,
        project=project,
    )
    return project


@transaction.atomic
def project_transition(
    *, actor, project: Project, transition: str, reason: str = "", request=None
) -> Project:
    """Move `project` along one named edge of the state machine (row-locked, audited)."""
    edge = TRANSITIONS.get(transition)
    if edge is None:
        raise ValueError(f"Unknown project transition {transition!r}")
    require(actor, edge.actions[0], project, *edge.actions[1:])
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.status not in edge.sources:
        raise ValidationError(
            f"A {locked.get_status_display().lower()} project cannot be {edge.past_tense}."
        )
    reason = reason.strip()
    if edge.needs_reason and not reason:
        raise ValidationError({"reason": "Please give a reason; the coordinators will see it."})
    from_state = locked.status
    locked.status = edge.target
    locked.status_reason = reason
    locked.full_clean()
    locked.save(update_fields=["status", "status_reason", "updated_at"])
    audit(
        actor,
        f"project.{transition}",
        locked,
        locked,
        request,
        from_state=from_state,
        to_state=edge.target,
        reason=reason,
    )
    _notify_status(locked, actor)
    project.status, project.status_reason = locked.status, locked.status_reason
    return locked


def _notify_status(project: Project, actor) -> None:
    recipients = [user for user in current_coordinators(project) if user != actor]
    if project.proposed_by and project.proposed_by != actor:
        recipients.append(project.proposed_by)
    reason = f" Reason: {project.status_reason}" if project.status_reason else ""
    notification_emit(
        event_type=EventType.MEMBERSHIP_CHANGED,
        recipients=recipients,
        subject=f"{project.acronym} is now {project.get_status_display().lower()}",
        body=f"The project “{project.title}” is now {project.get_status_display().lower()}."
        + reason,
        url=project_url(project),
        target=project,
        project=project,
    )


def project_activate(*, actor, project: Project, request=None) -> Project:
    return project_transition(actor=actor, project=project, transition="activate", request=request)


def project_reject(*, actor, project: Project, reason: str, request=None) -> Project:
    return project_transition(
        actor=actor, project=project, transition="reject", reason=reason, request=request
    )


def project_complete(*, actor, project: Project, reason: str = "", request=None) -> Project:
    return project_transition(
        actor=actor, project=project, transition="complete", reason=reason, request=request
    )


def project_archive(*, actor, project: Project, reason: str = "", request=None) -> Project:
    return project_transition(
        actor=actor, project=project, transition="archive", reason=reason, request=request
    )


def project_withdraw(*, actor, project: Project, reason: str, request=None) -> Project:
    return project_transition(
        actor=actor, project=project, transition="withdraw", reason=reason, request=request
    )


def available_transitions(user, project: Project, *, known: dict | None = None) -> list[str]:
    """Transition names `user` could apply now (for buttons; the service checks again).
    `known` holds policy answers the caller already has ({action: bool}); every other action
    is asked once, however many transitions need it."""
    answers = dict(known or {})

    def may(action: str) -> bool:
        if action not in answers:
            answers[action] = can(user, action, project)
        return answers[action]

    return [
        name
        for name, edge in TRANSITIONS.items()
        if project.status in edge.sources and any(may(action) for action in edge.actions)
    ]


@transaction.atomic
def project_update(*, actor, project: Project, disease_areas=None, request=None, **changes):
    """Change the coordinator-editable fields (and disease areas); audited with the field names.

    Validation failures raise ValidationError before anything is written.
    """
    require_manager(actor, project)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable through project_update: {sorted(unknown)}")
    locked = Project.objects.select_for_update().get(pk=project.pk)
    require_editable(locked)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    locked.full_clean()
    _save_new_or_changed(locked)
    if disease_areas is not None:
        before = set(locked.disease_areas.values_list("pk", flat=True))
        locked.disease_areas.set(disease_areas)
        if before != {area.pk for area in disease_areas}:
            changed.append("disease_areas")
        disease_area_names_refresh(locked)
    if changed:
        audit(actor, "project.update", locked, locked, request, details={"fields": changed})
    return locked


@transaction.atomic
def project_funder_add(
    *, actor, project: Project, organisation: Organisation, grant_reference: str = "", request=None
) -> ProjectFunder:
    require_manager(actor, project)
    require_editable(project)
    if organisation.status != OrganisationStatus.APPROVED or organisation.kind not in FUNDER_KINDS:
        raise ValidationError(
            {"organisation": f"{organisation.name} is not an approved research funder or charity."}
        )
    grant_reference = grant_reference.strip()
    if project.funders.filter(organisation=organisation, grant_reference=grant_reference).exists():
        raise ValidationError(
            {"grant_reference": "This funder and grant reference are already listed."}
        )
    funder = ProjectFunder(
        project=project, organisation=organisation, grant_reference=grant_reference
    )
    funder.full_clean()
    funder.save()
    audit(actor, "project.funder_add", funder, project, request, organisation_id=organisation.pk)
    return funder


@transaction.atomic
def project_funder_remove(*, actor, funder: ProjectFunder, request=None) -> None:
    project = funder.project
    require_manager(actor, project)
    audit(
        actor,
        "project.funder_remove",
        funder,
        project,
        request,
        organisation_id=funder.organisation_id,
    )
    funder.delete()
