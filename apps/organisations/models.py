from datetime import timedelta

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField

from apps.core.models import BaseModel
from apps.organisations.validators import (
    validate_claimable_domain,
    validate_logo,
    validate_ods_code,
    validate_ror,
)


class OrganisationKind(models.TextChoices):
    PHARMA = "pharma", "Pharmaceutical company"
    DIAGNOSTICS = "diagnostics", "Diagnostics company"
    UNIVERSITY = "university", "University / academic institute"
    NHS = "nhs", "NHS centre / healthcare provider"
    REGULATOR = "regulator", "Regulator"
    FUNDER = "funder", "Research funder"
    HEALTH_INFORMATICS = "health_informatics", "Health informatics programme"
    HEALTH_ECONOMICS = "health_economics", "Health economics group"
    CHARITY = "charity", "Charity / patient organisation"
    TRADE_ASSOCIATION = "trade_association", "Trade association"
    OTHER = "other", "Other"


FOR_PROFIT_KINDS = frozenset({OrganisationKind.PHARMA, OrganisationKind.DIAGNOSTICS})


class OrganisationStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class DsptStatus(models.TextChoices):
    EXCEEDED = "exceeded", "Standards exceeded"
    MET = "met", "Standards met"
    NOT_MET = "not_met", "Standards not met"


class OrganisationQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=OrganisationStatus.APPROVED)

    def pending(self):
        return self.filter(status=OrganisationStatus.PENDING)

    def administered_by(self, user):
        """Organisations (of any status) where `user` is a current admin."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            affiliations__user=user,
            affiliations__ended_at__isnull=True,
            affiliations__role=AffiliationRole.ADMIN,
        )


class Organisation(BaseModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    country = CountryField()
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    ror_id = models.CharField("ROR ID", max_length=9, blank=True, validators=[validate_ror])
    ods_code = models.CharField(
        "NHS ODS code", max_length=10, blank=True, validators=[validate_ods_code]
    )
    logo = models.ImageField(
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "webp"]), validate_logo],
        help_text="PNG, JPEG or WebP, at most 512 KB and 2000 pixels on each side.",
    )
    dspt_status = models.CharField(
        "DSPT status", max_length=20, blank=True, choices=DsptStatus.choices
    )
    dspt_date = models.DateField("DSPT assessment date", null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=OrganisationStatus.choices,
        default=OrganisationStatus.PENDING,
        db_index=True,
    )
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="organisations_organisation_name_ci_unique"
            ),
            models.UniqueConstraint(
                fields=["ror_id"],
                condition=~Q(ror_id=""),
                name="organisations_organisation_ror_unique",
            ),
        ]
        indexes = [models.Index(fields=["kind", "country"], name="org_kind_country_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == OrganisationStatus.APPROVED

    @property
    def is_for_profit(self) -> bool:
        return self.kind in FOR_PROFIT_KINDS

    @property
    def ror_url(self) -> str:
        return f"https://ror.org/{self.ror_id}" if self.ror_id else ""

    @property
    def ods_url(self) -> str:
        """The code's record in NHS Digital's Organisation Data Service (ORD API)."""
        if not self.ods_code:
            return ""
        return f"https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/{self.ods_code}"


class OrganisationDomain(BaseModel):
    """An e-mail domain whose verified addresses affiliate people automatically."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, validators=[validate_claimable_domain])

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class AffiliationRole(models.TextChoices):
    ADMIN = "admin", "Organisation admin"
    # #18: reads the organisation's sharing view (what it shares, with whom, until when).
    DATA_STEWARD = "data_steward", "Data steward"
    MEMBER = "member", "Member"


class AffiliationQuerySet(models.QuerySet):
    def current(self):
        """Not ended, whatever the organisation's status (a pending organisation's proposer)."""
        return self.filter(ended_at__isnull=True)

    def admins(self):
        return self.filter(role=AffiliationRole.ADMIN)

    def active(self):
        """Current affiliations to approved organisations: the only ones that carry rights."""
        return self.filter(ended_at__isnull=True, organisation__status=OrganisationStatus.APPROVED)


class Affiliation(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliations"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="affiliations"
    )
    role = models.CharField(
        max_length=20, choices=AffiliationRole.choices, default=AffiliationRole.MEMBER
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="Kept for history when a person leaves."
    )

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(ended_at__isnull=True),
                name="organisations_affiliation_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == AffiliationRole.ADMIN


class InvitationQuerySet(models.QuerySet):
    def open(self, now=None):
        """Neither accepted nor revoked nor expired: the ones an admin can still revoke."""
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(BaseModel):
    """A single-use, expiring invitation to join an organisation; only the token's hash is kept."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(
        max_length=20, choices=AffiliationRole.choices, default=AffiliationRole.MEMBER
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organisation}"

    @property
    def state(self) -> str:
        """One word for lists and badges: accepted, revoked, expired or open."""
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class JoinRequest(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(status="pending"),
                name="organisations_joinrequest_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} asks to join {self.organisation}"


class OrganisationImport(BaseModel):
    """One staff CSV import: the file as uploaded (saved before any work starts, so a lost
    worker or a closed tab loses nothing), then its progress and result, which the progress
    page polls. Rows are committed in chunks together with `rows_done`, so after a failure
    the counters say exactly what was imported."""

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, not imported"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        INVALID = "invalid", "Bad rows, nothing imported"
        FAILED = "failed", "Stopped"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    text = models.TextField(help_text="The uploaded CSV, decoded from UTF-8.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    last_line = models.PositiveIntegerField(
        default=0, help_text="The file line of the last row committed."
    )
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # A running import whose worker has not committed a chunk for this long is taken to be lost
    # (killed, or its machine gone): the broker's redelivery or staff's "carry on" take it over.
    LEASE = timedelta(minutes=2)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.get_status_display()})"

    @property
    def is_lost(self) -> bool:
        stale = timezone.now() - self.LEASE
        return self.status == self.Status.RUNNING and bool(
            self.heartbeat_at and self.heartbeat_at < stale
        )

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.INVALID, self.Status.FAILED}

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.total_rows) if self.total_rows else 0
