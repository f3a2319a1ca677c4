"""Demo milestones and deliverables for the demo consortia (after projects, datasets, protocols).

Dates are relative to today so the demo always shows some achieved milestones, one overdue and
one due this week. Idempotent: existing milestones (by project and title) and deliverables (by
project and code) are left alone.
"""

import datetime

from django.utils import timezone

from apps.milestones import services
from apps.milestones.models import Deliverable, Milestone
from apps.projects.models import Membership, MembershipRole, PartnerStatus, Project

# (title, days from today, final status or None, work package number)
PLAN = [
    ("Ethics approval and consortium agreement signed", -300, "achieved", 1),
    ("First patient recruited", -200, "achieved", 1),
    ("Sample handling SOPs approved", -120, "achieved", 2),
    ("Interim biomarker panel analysed", -5, "in_progress", 2),  # overdue
    ("Data access committee constituted", 4, None, 3),  # due this week
    ("Half of the cohort recruited", 45, "in_progress", 1),
    ("Assay analytical validation complete", 120, None, 2),
    ("Endotype classifier frozen", 240, None, 3),
    ("Health-economic model first draft", 330, None, 4),
]

# (code, title, days from today, dissemination, target status)
DELIVERABLES = [
    ("D1.1", "Cohort protocol and recruitment report", -150, "public", "submitted"),
    ("D2.1", "Standard operating procedures for sample handling", -60, "consortium", "approved"),
    ("D2.2", "Interim biomarker analysis report", 20, "restricted", "in_review"),
    ("D3.1", "Data management and access plan", 60, "public", "in_preparation"),
    ("D4.1", "Early health-economic model", 300, "consortium", "planned"),
]

ACRONYMS = ("RESPIRA", "SYNOVIA", "PRECISE-LUNG")


def _people(project):
    memberships = list(
        Membership.objects.current().filter(project=project).select_related("user", "organisation")
    )
    coordinators = [m for m in memberships if m.role == MembershipRole.COORDINATOR]
    contributors = [m for m in memberships if m.role == MembershipRole.CONTRIBUTOR]
    return coordinators, contributors or coordinators


def _milestones(project, coordinator, owners, today) -> int:
    made = 0
    packages = {wp.number: wp for wp in project.work_packages.all()}
    for index, (title, days, status, wp) in enumerate(PLAN):
        if Milestone.objects.filter(project=project, title=title).exists():
            continue
        owner = owners[index % len(owners)]
        due = today + datetime.timedelta(days=days)
        milestone = services.milestone_create(
            project=project,
            actor=coordinator.user,
            title=title,
            due_date=due,
            work_package=packages.get(wp),
            owner=owner.user,
            owner_organisation=owner.organisation,
            description=f"{title} across the {project.acronym} sites.",
        )
        # Past milestones were created back then; the timeline draws from created_at.
        Milestone.objects.filter(pk=milestone.pk).update(
            created_at=timezone.now() + datetime.timedelta(days=min(days, 0) - 60)
        )
        if status == "in_progress" or (status == "achieved" and days < 0):
            services.milestone_set_status(
                milestone=milestone, actor=owner.user, to_status="in_progress", note="Work started."
            )
        if status == "achieved":
            services.milestone_set_status(
                milestone=milestone,
                actor=owner.user,
                to_status="achieved",
                note="Confirmed at the steering committee.",
            )
        made += 1
    return made


STEPS = ["in_preparation", "in_review", "approved", "submitted"]


def _advance(deliverable, target, author, approver) -> None:
    actions = {
        "in_preparation": lambda: services.deliverable_start(deliverable=deliverable, actor=author),
        "in_review": lambda: services.deliverable_request_review(
            deliverable=deliverable, actor=author
        ),
        "approved": lambda: services.deliverable_approve(deliverable=deliverable, actor=approver),
        "submitted": lambda: services.deliverable_submit(deliverable=deliverable, actor=approver),
    }
    if target == "planned":
        return
    for step in STEPS[: STEPS.index(target) + 1]:
        actions[step]()


def _deliverables(project, coordinator, authors, today) -> int:
    made = 0
    packages = {wp.number: wp for wp in project.work_packages.all()}
    lead_orgs = list(
        project.partners.filter(status=PartnerStatus.ACTIVE).select_related("organisation")
    )
    for index, (code, title, days, dissemination, target) in enumerate(DELIVERABLES):
        if Deliverable.objects.filter(project=project, code=code).exists():
            continue
        author = authors[index % len(authors)]
        if author.user_id == coordinator.user_id and len(authors) > 1:
            author = authors[(index + 1) % len(authors)]
        deliverable = services.deliverable_create(
            project=project,
            actor=coordinator.user,
            code=code,
            title=title,
            summary=f"{title} for {project.acronym}: methods, results and next steps.",
            due_date=today + datetime.timedelta(days=days),
            dissemination=dissemination,
            work_package=packages.get(int(code[1])),
            lead_organisation=lead_orgs[index % len(lead_orgs)].organisation,
            author=author.user,
        )
        if author.user_id != coordinator.user_id:
            _advance(deliverable, target, author.user, coordinator.user)
        made += 1
    return made


def seed(stdout) -> None:
    today = timezone.localdate()
    for acronym in ACRONYMS:
        project = Project.objects.filter(acronym__iexact=acronym).first()
        if project is None:
            stdout.write(f"  milestones: project {acronym} not found, skipped")
            continue
        coordinators, contributors = _people(project)
        if not coordinators:
            stdout.write(f"  milestones: {acronym} has no coordinator, skipped")
            continue
        milestones = _milestones(project, coordinators[0], contributors, today)
        deliverables = _deliverables(project, coordinators[0], contributors, today)
        stdout.write(
            f"  milestones: {acronym} +{milestones} milestones, +{deliverables} deliverables"
        )
