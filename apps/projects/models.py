from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.urls import reverse
from django.utils import timezone

from apps.core.guard import GuardedManager, GuardedQuerySet
from apps.core.models import BaseModel


def agreement_upload_to(instance, filename: str) -> str:
    # Under protected/, which is never served directly: only the consortium may download it.
    return f"protected/projects.project/{instance.pk}/consortium-agreement.pdf"


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    ARCHIVED = "archived", "Archived"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REJECTED = "rejected", "Rejected"


class SummaryVisibility(models.TextChoices):
    PUBLIC = "public", "Public"
    MEMBERS = "members", "Members only"


# What a person who may not read the whole project sees of it (the public card, API included).
PUBLIC_CARD_FIELDS = (
    "title",
    "acronym",
    "slug",
    "status",
    "summary_visibility",
    "start_date",
    "end_date",
    "disease_area_names",
)

ACRONYM_UNIQUE = "an acronym is unique across the portal, as the database constraint is"


class Project(BaseModel):
    title = models.CharField(max_length=300)
    acronym = models.CharField(max_length=40)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.TextField()
    disease_areas = models.ManyToManyField(
        "diseases.DiseaseArea", related_name="projects", blank=True
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED, db_index=True
    )
    status_reason = models.TextField(blank=True)
    summary_visibility = models.CharField(
        max_length=20, choices=SummaryVisibility.choices, default=SummaryVisibility.PUBLIC
    )
    rec_reference = models.CharField("REC reference", max_length=40, blank=True)
    iras_id = models.CharField("IRAS ID", max_length=20, blank=True)
    consortium_agreement_signed_on = models.DateField(null=True, blank=True)
    consortium_agreement = models.FileField(upload_to=agreement_upload_to, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The names of the project's disease areas, kept by the services that change them, so that
    # full-text search can weigh them inside one indexed expression (a GIN index cannot join).
    disease_area_names = models.TextField(blank=True, editable=False)
    # The weighted full-text vector of the four fields above, stored so that a search ranks
    # the matched rows without parsing their text again. On PostgreSQL a trigger (migration
    # 0006) writes it on every insert or text change, bulk inserts included; elsewhere it stays
    # empty and the catalogue falls back to substring matching.
    search_vector = SearchVectorField(null=True, editable=False)
    # The same for the public card's text alone (title, acronym, disease areas; migration
    # 0007): what the catalogue searches for people who may not read the whole project.
    card_search_vector = SearchVectorField(null=True, editable=False)
    # When the public card last changed (PUBLIC_CARD_FIELDS or the disease areas): the change
    # time shown and filtered on (`?updated_since`) for people who see only the card, so that
    # a members-only project's hidden activity has no visible timestamp. Kept by database
    # triggers (apps.changes.triggers), so no write path can forget it.
    card_updated_at = models.DateTimeField(
        default=timezone.now, db_default=Now(), db_index=True, editable=False
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(Lower("acronym"), name="projects_project_acronym_ci_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="projects_project_end_after_start",
            ),
        ]
        # The catalogue's orders (`apps.projects.selectors.SORTS`), so a page of 25 stops
        # after 25 rows instead of sorting every live project (8.7 ms at 10,000 projects).
        indexes = [
            models.Index(fields=["title", "id"], name="project_title_order_idx"),
            models.Index(fields=["acronym", "id"], name="project_acronym_order_idx"),
            models.Index(fields=["created_at", "id"], name="project_created_order_idx"),
            models.Index(fields=["start_date", "title", "id"], name="project_start_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.acronym} — {self.title}"

    def clean(self) -> None:
        """Say in words what the database constraints would otherwise refuse opaquely."""
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must not be before the start date."})
        if self.acronym:
            clash = (
                Project.objects.system(ACRONYM_UNIQUE)
                .filter(acronym__iexact=self.acronym)
                .exclude(pk=self.pk)
            )
            if clash.exists():
                raise ValidationError(
                    {"acronym": f"Another project already uses the acronym “{self.acronym}”."}
                )

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.summary_visibility == SummaryVisibility.PUBLIC


class ProjectFunder(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="funders")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="funded"
    )
    grant_reference = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.organisation} ({self.grant_reference})"


class PartnerRole(models.TextChoices):
    LEAD = "lead", "Lead"
    PARTNER = "partner", "Partner"
    ASSOCIATE = "associate", "Associate"


class PartnerStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    DECLINED = "declined", "Declined"
    LEFT = "left", "Left"


class Partner(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="partnerships"
    )
    role = models.CharField(max_length=20, choices=PartnerRole.choices, default=PartnerRole.PARTNER)
    status = models.CharField(
        max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.INVITED, db_index=True
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organisation"],
                condition=Q(status__in=["invited", "active"]),
                name="projects_partner_one_current",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="partner_org_status_idx")]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.project.acronym} ({self.role})"


class MembershipRole(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"
    OBSERVER = "observer", "Observer"


class MembershipQuerySet(GuardedQuerySet):
    def current(self, today=None):
        """Memberships whose rights hold today: not ended and not past their end date."""
        today = today or timezone.localdate()
        return self.filter(ended_at__isnull=True).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )


class Membership(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The partner organisation through which the person takes part.",
    )
    role = models.CharField(
        max_length=20, choices=MembershipRole.choices, default=MembershipRole.CONTRIBUTOR
    )
    ends_on = models.DateField(
        null=True, blank=True, help_text="Rights stop after this date; observers must have one."
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the membership was ended; kept for history."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=Q(ended_at__isnull=True),
                name="projects_membership_one_current",
            ),
            models.CheckConstraint(
                condition=~Q(role="observer") | Q(ends_on__isnull=False),
                name="projects_membership_observer_has_end",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project.acronym} ({self.role})"

    @property
    def is_coordinator(self) -> bool:
        return self.role == MembershipRole.COORDINATOR

    @property
    def can_edit(self) -> bool:
        return self.role in (MembershipRole.COORDINATOR, MembershipRole.CONTRIBUTOR)


class WorkPackage(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="work_packages")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    lead_organisations = models.ManyToManyField(
        "organisations.Organisation", blank=True, related_name="+"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    objects = GuardedManager()

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="projects_workpackage_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"WP{self.number} {self.title}"


class Biomarker(BaseModel):
    class Kind(models.TextChoices):
        GENOMIC = "genomic", "Genomic"
        PROTEOMIC = "proteomic", "Proteomic"
        METABOLOMIC = "metabolomic", "Metabolomic"
        IMAGING = "imaging", "Imaging"
        CLINICAL = "clinical", "Clinical"
        OTHER = "other", "Other"

    class Stage(models.TextChoices):
        DISCOVERY = "discovery", "Discovery"
        ANALYTICAL_VALIDATION = "analytical_validation", "Analytical validation"
        CLINICAL_VALIDATION = "clinical_validation", "Clinical validation"
        CLINICAL_UTILITY = "clinical_utility", "Clinical utility"
        ROUTINE_USE = "routine_use", "Routine use"

    class RegulatoryStatus(models.TextChoices):
        RUO = "ruo", "Research use only"
        IVD_IN_DEVELOPMENT = "in_development", "IVD in development"
        CE_UKCA = "ce_ukca", "CE/UKCA marked"
        FDA_CLEARED = "fda_cleared", "FDA cleared/approved"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="biomarkers")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    stratum = models.TextField(help_text="The patient subpopulation this biomarker defines.")
    assay = models.CharField(max_length=200, blank=True)
    diagnostic_partner = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    development_stage = models.CharField(
        max_length=30, choices=Stage.choices, default=Stage.DISCOVERY
    )
    regulatory_status = models.CharField(
        max_length=20, choices=RegulatoryStatus.choices, default=RegulatoryStatus.RUO
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProjectContentVersion(models.Model):
    """A project's content version: a new random number every time anything the cached parts
    of its page show changes (`apps.projects.page_cache`). Written only by database triggers
    (`apps.projects.content_versions`), in the transaction of the change, whatever wrote it.

    No foreign key, as `access.AccessVersion`: a trigger may bump a project in the very
    statement that deletes it, and a row without its project is harmless."""

    project_id = models.UUIDField(primary_key=True)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.project_id}: {self.version}"


class ProjectContentPending(models.Model):
    """A project whose content an open PostgreSQL transaction has changed: written by the
    content-version triggers instead of the version itself, and turned into a new version by a
    deferred trigger as that transaction commits (`apps.projects.content_versions`). So the
    version row is locked only for the moment of a commit, never for the life of a long
    transaction, and a transaction can tell that its own writes are not yet in a version.
    Empty outside open transactions; never written on SQLite (its writers are serial)."""

    xact = models.BigIntegerField()  # pg_current_xact_id() of the writing transaction
    project_id = models.UUIDField()

    class Meta:
        indexes = [models.Index(fields=["xact", "project_id"], name="projects_pending_xact")]

    def __str__(self) -> str:
        return f"{self.xact}: {self.project_id}"
