from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.guard import GuardedManager
from apps.core.models import BaseModel


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"
    DEFERRED = "deferred", "Deferred"


class Milestone(BaseModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="milestones"
    )
    work_package = models.ForeignKey(
        "projects.WorkPackage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestones",
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    due_date = models.DateField(db_index=True)
    status = models.CharField(
        max_length=20,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.PLANNED,
        db_index=True,
    )
    status_changed_on = models.DateField(null=True, blank=True)
    owner_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_milestones",
    )
    protocols = models.ManyToManyField("documents.Protocol", blank=True, related_name="+")
    datasets = models.ManyToManyField("datasets.Dataset", blank=True, related_name="+")
    # Sweep bookkeeping: each notice is sent once per due date (a deferral re-arms it).
    reminder_sent_for = models.DateField(null=True, blank=True)
    overdue_notified_for = models.DateField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["due_date", "title"]

    def __str__(self) -> str:
        return self.title


class MilestoneChange(BaseModel):
    """History of a milestone: status changes with notes, deferrals with the old due date."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=MilestoneStatus.choices)
    to_status = models.CharField(max_length=20, choices=MilestoneStatus.choices)
    old_due_date = models.DateField(null=True, blank=True)
    new_due_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    happened_on = models.DateField()

    class Meta:
        ordering = ["-created_at"]


class Deliverable(BaseModel):
    class Dissemination(models.TextChoices):
        PUBLIC = "public", "Public"
        CONSORTIUM = "consortium", "Consortium"
        RESTRICTED = "restricted", "Restricted"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PREPARATION = "in_preparation", "In preparation"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        SUBMITTED = "submitted", "Submitted"

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="deliverables"
    )
    work_package = models.ForeignKey(
        "projects.WorkPackage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliverables",
    )
    code = models.CharField(max_length=20, help_text="e.g. D2.1")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    lead_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(null=True, blank=True)
    due_month = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Project month, e.g. 18."
    )
    dissemination = models.CharField(
        max_length=20, choices=Dissemination.choices, default=Dissemination.CONSORTIUM
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    protocol_versions = models.ManyToManyField(
        "documents.ProtocolVersion", blank=True, related_name="+"
    )
    datasets = models.ManyToManyField("datasets.Dataset", blank=True, related_name="+")
    # Evidence of every shared kind that declares a deliverable field (`apps.core.kinds`).
    analysis_versions = models.ManyToManyField(
        "analyses.AnalysisVersion", blank=True, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "code"], name="milestones_deliverable_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True)
                | Q(author__isnull=True)
                | ~Q(approver=models.F("author")),
                name="milestones_deliverable_approver_not_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
