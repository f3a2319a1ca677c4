"""Milestone and deliverable writes: one service per transition, audited in its transaction.

Callers (views, demo, API) have already checked the policy action (`edit` for status updates
and deferrals, `manage` for creating and editing); the services check the domain rules:
allowed transitions, a later due date for a deferral, people and items from the same project,
and that nobody approves their own deliverable.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.access.policy import visible
from apps.audit.services import audit_record
from apps.core.kinds import evidence_parts
from apps.milestones.models import Deliverable, Milestone, MilestoneChange, MilestoneStatus
from apps.projects.models import Membership, MembershipRole, Partner, PartnerStatus

OPEN_STATUSES = (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.DEFERRED)

# Status updates an owner may make with a note. Deferral has its own service (it needs a date).
MILESTONE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    MilestoneStatus.PLANNED: (
        MilestoneStatus.IN_PROGRESS,
        MilestoneStatus.ACHIEVED,
        MilestoneStatus.MISSED,
    ),
    MilestoneStatus.IN_PROGRESS: (MilestoneStatus.ACHIEVED, MilestoneStatus.MISSED),
    MilestoneStatus.DEFERRED: (
        MilestoneStatus.IN_PROGRESS,
        MilestoneStatus.ACHIEVED,
        MilestoneStatus.MISSED,
    ),
    MilestoneStatus.ACHIEVED: (),
    MilestoneStatus.MISSED: (),
}
DEFERRABLE = (*OPEN_STATUSES, MilestoneStatus.MISSED)


def today() -> datetime.date:
    return timezone.localdate()


# --- Validation shared by milestones and deliverables --------------------------------------------
def _check_same_project(project, *, work_package=None, protocols=(), datasets=(), versions=()):
    errors = {}
    if work_package is not None and work_package.project_id != project.pk:
        errors["work_package"] = "Choose a work package of this project."
    if any(p.project_id != project.pk for p in protocols):
        errors["protocols"] = "Link only protocols of this project."
    if any(d.project_id != project.pk for d in datasets):
        errors["datasets"] = "Link only datasets of this project."
    if any(v.protocol.project_id != project.pk for v in versions):
        errors["protocol_versions"] = "Link only protocol versions of this project."
    if errors:
        raise ValidationError(errors)


def _take_evidence(fields: dict) -> dict:
    """Pop the evidence links out of `fields`: one list per citable part of a shared kind
    (`apps.core.kinds`: datasets, protocol versions, analysis versions…); None keeps a link."""
    links = {part.evidence: fields.pop(part.evidence, None) for part in evidence_parts()}
    return {name: rows for name, rows in links.items() if rows is not None}


def _replace_links(owner, field: str, chosen, *, actor) -> None:
    """Replace the links `actor` can see with `chosen`. A link to a row the actor may not see
    stays: they were never shown it, so leaving it out of their choice is not removing it."""
    links = getattr(owner, field)
    shown = visible(actor, links.all()).values("pk")
    kept_out_of_sight = list(
        links.all().system("links an editor is not shown survive their edit").exclude(pk__in=shown)
    )
    links.set([*chosen, *kept_out_of_sight])


def _check_evidence(project, evidence: dict) -> None:
    errors = {}
    for part in evidence_parts():
        parent = part.parent_fk.removesuffix("_id")
        for row in evidence.get(part.evidence, ()):
            owner = getattr(row, parent) if parent else row
            if owner.project_id != project.pk:
                errors[part.evidence] = (
                    f"Link only {part.evidence.replace('_', ' ')} of this project."
                )
    if errors:
        raise ValidationError(errors)


def _check_partner(project, organisation, field: str) -> None:
    if organisation is None:
        return
    active = (
        Partner.objects.system("a lead must be an active partner, whoever writes")
        .filter(project=project, organisation=organisation, status=PartnerStatus.ACTIVE)
        .exists()
    )
    if not active:
        raise ValidationError({field: "Choose an active partner organisation of this project."})


def _check_member(project, user, field: str) -> None:
    if user is None:
        return
    members = Membership.objects.system("a named person must be a current member")
    if not members.current().filter(project=project, user=user).exists():
        raise ValidationError({field: "Choose a current member of this project."})


def _audit(milestone_or_deliverable, *, actor, action, request=None, **extra):
    audit_record(
        actor=actor,
        action=action,
        target=milestone_or_deliverable,
        request=request,
        project_id=milestone_or_deliverable.project_id,
        **extra,
    )


# --- Milestones ---------------------------------------------------------------------------------
@transaction.atomic
def milestone_create(
    *,
    project,
    actor,
    title: str,
    due_date: datetime.date,
    description: str = "",
    work_package=None,
    owner_organisation=None,
    owner=None,
    protocols=(),
    datasets=(),
    request=None,
) -> Milestone:
    _check_same_project(project, work_package=work_package, protocols=protocols, datasets=datasets)
    _check_partner(project, owner_organisation, "owner_organisation")
    _check_member(project, owner, "owner")
    milestone = Milestone(
        project=project,
        title=title,
        description=description,
        due_date=due_date,
        work_package=work_package,
        owner_organisation=owner_organisation,
        owner=owner,
        status_changed_on=today(),
    )
    milestone.full_clean()
    milestone.save()
    milestone.protocols.set(protocols)
    milestone.datasets.set(datasets)
    _audit(
        milestone,
        actor=actor,
        action="milestone.create",
        request=request,
        to_state=milestone.status,
    )
    return milestone


MILESTONE_EDITABLE = ("title", "description", "work_package", "owner_organisation", "owner")


@transaction.atomic
def milestone_update(
    *, milestone: Milestone, actor, protocols=None, datasets=None, request=None, **changes
) -> Milestone:
    """Coordinators edit what a milestone is and who owns it. Its dates move only through
    `milestone_defer`, so the history keeps every due date it ever had."""
    unknown = set(changes) - set(MILESTONE_EDITABLE)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    project = milestone.project
    _check_same_project(
        project,
        work_package=changes.get("work_package"),
        protocols=protocols or (),
        datasets=datasets or (),
    )
    _check_partner(project, changes.get("owner_organisation"), "owner_organisation")
    _check_member(project, changes.get("owner"), "owner")
    for field, value in changes.items():
        setattr(milestone, field, value)
    milestone.full_clean()
    milestone.save()
    if protocols is not None:
        _replace_links(milestone, "protocols", protocols, actor=actor)
    if datasets is not None:
        _replace_links(milestone, "datasets", datasets, actor=actor)
    _audit(milestone, actor=actor, action="milestone.update", request=request)
    return milestone


def _lock(milestone: Milestone) -> Milestone:
    return Milestone.objects.select_for_update().get(pk=milestone.pk)


def _record_change(milestone, *, actor, from_status, note, old_due=None, new_due=None):
    change = MilestoneChange(
        milestone=milestone,
        actor=actor,
        from_status=from_status,
        to_status=milestone.status,
        old_due_date=old_due,
        new_due_date=new_due,
        note=note,
        happened_on=milestone.status_changed_on,
    )
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def milestone_set_status(
    *, milestone: Milestone, actor, to_status: str, note: str = "", request=None
) -> Milestone:
    """Move a milestone along planned → in progress → achieved | missed, with a note."""
    milestone = _lock(milestone)
    from_status = milestone.status
    if to_status not in MILESTONE_TRANSITIONS.get(from_status, ()):
        raise ValidationError(
            {
                "to_status": f"A {milestone.get_status_display().lower()} milestone cannot become "
                f"{MilestoneStatus(to_status).label.lower() if to_status in MilestoneStatus.values else to_status}."
            }
        )
    if to_status == MilestoneStatus.MISSED and not note.strip():
        raise ValidationError({"note": "Say why the milestone was missed."})
    milestone.status = to_status
    milestone.status_changed_on = today()
    milestone.full_clean()
    milestone.save(update_fields=["status", "status_changed_on", "updated_at"])
    _record_change(milestone, actor=actor, from_status=from_status, note=note)
    _audit(
        milestone,
        actor=actor,
        action="milestone.status",
        request=request,
        from_state=from_status,
        to_state=to_status,
        reason=note,
    )
    return milestone


@transaction.atomic
def milestone_defer(
    *, milestone: Milestone, actor, new_due_date: datetime.date, note: str, request=None
) -> Milestone:
    """Defer to a later due date; the old one stays in the history. Reminders and overdue
    notices are kept per due date, so the new date gets its own."""
    milestone = _lock(milestone)
    if milestone.status not in DEFERRABLE:
        raise ValidationError(
            {
                "new_due_date": f"A {milestone.get_status_display().lower()} milestone cannot be deferred."
            }
        )
    if new_due_date <= milestone.due_date:
        raise ValidationError({"new_due_date": "The new due date must be after the current one."})
    if new_due_date < today():
        raise ValidationError({"new_due_date": "The new due date cannot be in the past."})
    if not note.strip():
        raise ValidationError({"note": "Say why the milestone is deferred."})
    from_status, old_due = milestone.status, milestone.due_date
    milestone.status = MilestoneStatus.DEFERRED
    milestone.due_date = new_due_date
    milestone.status_changed_on = today()
    milestone.full_clean()
    milestone.save(update_fields=["status", "due_date", "status_changed_on", "updated_at"])
    _record_change(
        milestone,
        actor=actor,
        from_status=from_status,
        note=note,
        old_due=old_due,
        new_due=new_due_date,
    )
    _audit(
        milestone,
        actor=actor,
        action="milestone.defer",
        request=request,
        from_state=from_status,
        to_state=milestone.status,
        reason=note,
        details={"old_due_date": old_due.isoformat(), "new_due_date": new_due_date.isoformat()},
    )
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor, request=None) -> None:
    _audit(
        milestone,
        actor=actor,
        action="milestone.delete",
        request=request,
        from_state=milestone.status,
    )
    milestone.delete()


# --- Deliverables -------------------------------------------------------------------------------
def _check_people(deliverable: Deliverable) -> None:
    project = deliverable.project
    for field in ("author", "reviewer", "approver"):
        _check_member(project, getattr(deliverable, field), field)
    if deliverable.approver_id and deliverable.approver_id == deliverable.author_id:
        raise ValidationError({"approver": "The approver cannot be the deliverable's author."})
    if deliverable.due_date is None and deliverable.due_month is None:
        raise ValidationError({"due_date": "Give a due date or a project month."})


DELIVERABLE_FIELDS = (
    "code",
    "title",
    "summary",
    "work_package",
    "lead_organisation",
    "due_date",
    "due_month",
    "dissemination",
    "author",
    "reviewer",
    "approver",
)


@transaction.atomic
def deliverable_create(*, project, actor, request=None, **fields) -> Deliverable:
    """`fields`: the deliverable's, and its evidence links by field (`protocol_versions`,
    `datasets`, `analysis_versions`…: every shared kind's citable part)."""
    evidence = _take_evidence(fields)
    unknown = set(fields) - set(DELIVERABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown deliverable fields: {sorted(unknown)}")
    deliverable = Deliverable(project=project, **fields)
    _check_same_project(project, work_package=deliverable.work_package)
    _check_evidence(project, evidence)
    _check_partner(project, deliverable.lead_organisation, "lead_organisation")
    _check_people(deliverable)
    deliverable.full_clean()
    deliverable.save()
    for name, rows in evidence.items():
        getattr(deliverable, name).set(rows)
    _audit(
        deliverable,
        actor=actor,
        action="deliverable.create",
        request=request,
        to_state=deliverable.status,
    )
    return deliverable


@transaction.atomic
def deliverable_update(
    *,
    deliverable: Deliverable,
    actor,
    request=None,
    **changes,
) -> Deliverable:
    """Evidence links among `changes` (by field) replace the current ones; None keeps them."""
    evidence = _take_evidence(changes)
    unknown = set(changes) - set(DELIVERABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown deliverable fields: {sorted(unknown)}")
    if deliverable.status in (Deliverable.Status.APPROVED, Deliverable.Status.SUBMITTED):
        raise ValidationError(
            "An approved deliverable cannot be edited; return it to preparation first."
        )
    for field, value in changes.items():
        setattr(deliverable, field, value)
    _check_same_project(deliverable.project, work_package=deliverable.work_package)
    _check_evidence(deliverable.project, evidence)
    _check_partner(deliverable.project, deliverable.lead_organisation, "lead_organisation")
    _check_people(deliverable)
    deliverable.full_clean()
    deliverable.save()
    for name, rows in evidence.items():
        _replace_links(deliverable, name, rows, actor=actor)
    _audit(deliverable, actor=actor, action="deliverable.update", request=request)
    return deliverable


def _is_coordinator(user, project) -> bool:
    return (
        Membership.objects.system("a fact about the actor's own membership")
        .current()
        .filter(project=project, user=user, role=MembershipRole.COORDINATOR)
        .exists()
    )


def _transition(
    deliverable, *, actor, to_status, allowed_from, action, request, reason="", **stamp
):
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.status not in allowed_from:
        raise ValidationError(
            f"A deliverable that is {deliverable.get_status_display().lower()} cannot become "
            f"{Deliverable.Status(to_status).label.lower()}."
        )
    from_status = deliverable.status
    deliverable.status = to_status
    for field, value in stamp.items():
        setattr(deliverable, field, value)
    deliverable.full_clean()
    deliverable.save()
    _audit(
        deliverable,
        actor=actor,
        action=action,
        request=request,
        from_state=from_status,
        to_state=to_status,
        reason=reason,
    )
    return deliverable


S = Deliverable.Status


@transaction.atomic
def deliverable_start(*, deliverable, actor, request=None) -> Deliverable:
    return _transition(
        deliverable,
        actor=actor,
        to_status=S.IN_PREPARATION,
        allowed_from=(S.PLANNED,),
        action="deliverable.start",
        request=request,
    )


@transaction.atomic
def deliverable_request_review(*, deliverable, actor, request=None) -> Deliverable:
    if not deliverable.summary.strip():
        raise ValidationError("Write the deliverable's summary before asking for review.")
    return _transition(
        deliverable,
        actor=actor,
        to_status=S.IN_REVIEW,
        allowed_from=(S.IN_PREPARATION,),
        action="deliverable.request_review",
        request=request,
    )


@transaction.atomic
def deliverable_return(*, deliverable, actor, reason: str, request=None) -> Deliverable:
    if not reason.strip():
        raise ValidationError("Say what needs to change.")
    return _transition(
        deliverable,
        actor=actor,
        to_status=S.IN_PREPARATION,
        allowed_from=(S.IN_REVIEW, S.APPROVED),
        action="deliverable.return",
        request=request,
        reason=reason,
        approved_at=None,
    )


def may_approve(user, deliverable: Deliverable) -> bool:
    """The named approver, or a coordinator when none is named — never the author."""
    if user is None or not user.is_authenticated or deliverable.author_id == user.pk:
        return False
    if deliverable.approver_id:
        return deliverable.approver_id == user.pk
    return _is_coordinator(user, deliverable.project)


@transaction.atomic
def deliverable_approve(*, deliverable, actor, request=None) -> Deliverable:
    if deliverable.author_id and deliverable.author_id == actor.pk:
        raise ValidationError("You wrote this deliverable, so someone else must approve it.")
    if not may_approve(actor, deliverable):
        raise ValidationError("Only the named approver can approve this deliverable.")
    return _transition(
        deliverable,
        actor=actor,
        to_status=S.APPROVED,
        allowed_from=(S.IN_REVIEW,),
        action="deliverable.approve",
        request=request,
        approved_at=timezone.now(),
        approver=deliverable.approver or actor,
    )


@transaction.atomic
def deliverable_submit(*, deliverable, actor, request=None) -> Deliverable:
    """Record that the approved deliverable went to the funder."""
    return _transition(
        deliverable,
        actor=actor,
        to_status=S.SUBMITTED,
        allowed_from=(S.APPROVED,),
        action="deliverable.submit",
        request=request,
        submitted_at=timezone.now(),
    )
