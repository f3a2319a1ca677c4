from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from apps.access.models_committee import (  # noqa: F401  (models of this app, registered here)
    AgreementAcceptance,
    CommitteeVote,
    DataUseAgreement,
    DecisionRule,
    DocumentKind,
    RequestDocument,
    RequestMessage,
    RequestReview,
    Thread,
    VoteChoice,
)
from apps.core.guard import GuardedManager
from apps.core.models import BaseModel


class DataAccessCommittee(BaseModel):
    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="committee"
    )
    name = models.CharField(max_length=200)
    decision_rule = models.CharField(
        max_length=20, choices=DecisionRule.choices, default=DecisionRule.ANY_MEMBER
    )
    quorum = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Votes needed, counting only members who may vote on the request.",
    )

    objects = GuardedManager()

    def __str__(self) -> str:
        return self.name


class CommitteeMember(BaseModel):
    committee = models.ForeignKey(
        DataAccessCommittee, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="committee_seats"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    is_chair = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "user"],
                condition=Q(ended_at__isnull=True),
                name="access_committeemember_one_current",
            ),
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(is_chair=True, ended_at__isnull=True),
                name="access_committeemember_one_chair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.committee}"


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    REFUSED = "refused", "Refused by the automatic check"
    IN_REVIEW = "in_review", "In review"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_REQUEST_STATUSES = (
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.RETURNED,
)


class CheckOutcome(models.TextChoices):
    # Labels are the words people read (ACCESS.md "Reasons are for people"). An overall FAIL
    # refuses only when a hard rule failed; the request's status says which.
    PASS = "pass", "Passes"
    FAIL = "fail", "Does not pass"
    NEEDS_DAC = "needs_dac", "Needs the committee"


class AccessRequest(BaseModel):
    """A decision record. Submission freezes `snapshot` (form + dataset policy)."""

    dataset = models.ForeignKey(
        "datasets.Dataset", on_delete=models.PROTECT, related_name="access_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The requester's organisation for this request.",
    )
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    # Declared purpose and use (DUO research purpose).
    purpose = models.TextField(help_text="Confidential: hidden from conflicted committee members.")
    diseases = models.ManyToManyField("diseases.DiseaseArea", blank=True, related_name="+")
    is_commercial = models.BooleanField(default=False)
    # Research types (ACCESS.md "research type" row), one per choice on the request form.
    is_health_research = models.BooleanField(
        default=False,
        help_text="Health, medical or biomedical research without a specific disease.",
    )
    is_ancestry_research = models.BooleanField(default=False)
    is_methods_development = models.BooleanField(default=False)
    is_clinical_care = models.BooleanField(default=False)
    is_general_research = models.BooleanField(
        default=False, help_text="Research that is not health, medical or biomedical."
    )
    is_controls_only = models.BooleanField(default=False)
    involves_vulnerable_populations = models.BooleanField(default=False)
    involves_stigmatising_conditions = models.BooleanField(default=False)
    # The further sensitive topics DUOS asks about (ACCESS.md "sensitive purposes").
    involves_children = models.BooleanField(default=False)
    compares_population_groups = models.BooleanField(
        default=False, help_text="Population origins or ancestry used to compare groups."
    )
    involves_sex_or_gender = models.BooleanField(default=False)
    involves_illegal_behaviour = models.BooleanField(default=False)
    involves_psychological_traits = models.BooleanField(default=False)
    is_genetic_study = models.BooleanField(default=False)
    location = models.CharField(max_length=200, blank=True)
    ethics_reference = models.CharField(max_length=100, blank=True)
    ethics_expires_on = models.DateField(null=True, blank=True)
    attestations = models.JSONField(
        default=list, blank=True, help_text="Obligations accepted, e.g. ['PUB', 'COL']."
    )
    requested_until = models.DateField(null=True, blank=True)
    # Submission and the automatic check.
    policy = models.ForeignKey(
        "datasets.DataUsePolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snapshot = models.JSONField(default=dict, blank=True)
    snapshot_hash = models.CharField(max_length=64, blank=True)
    check_outcome = models.CharField(max_length=20, choices=CheckOutcome.choices, blank=True)
    check_results = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    escalated_to_staff = models.BooleanField(default=False)
    # Decision.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    approved_until = models.DateField(
        null=True, blank=True, help_text="The committee's chosen end, if any."
    )
    steward_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    steward_approved_at = models.DateTimeField(null=True, blank=True)
    previous_request = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reapplications"
    )
    renews_grant = models.ForeignKey(
        "AccessGrant", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    renewal_report = models.TextField(
        blank=True,
        help_text="For a renewal: how the data was used and what was published.",
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["dataset", "status"], name="accessrequest_ds_status_idx")]

    def __str__(self) -> str:
        return f"Request by {self.requester} for {self.dataset}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class DeclaredConflict(BaseModel):
    """A committee member's own declaration of a conflict on one request."""

    request = models.ForeignKey(
        AccessRequest, on_delete=models.CASCADE, related_name="declared_conflicts"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "user"], name="access_declaredconflict_unique"
            ),
        ]


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class AccessGrant(BaseModel):
    """What the authorisation check reads. Valid only while active AND before `valid_until`:
    the check compares timestamps itself, so access never depends on a sweep having run."""

    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The affiliation the grant came through.",
    )
    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="grants")
    policy = models.ForeignKey(
        "datasets.DataUsePolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=GrantStatus.choices, default=GrantStatus.ACTIVE, db_index=True
    )
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(db_index=True)
    obligations = models.JSONField(default=list, blank=True)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notice_30_sent_at = models.DateTimeField(null=True, blank=True)
    notice_7_sent_at = models.DateTimeField(null=True, blank=True)
    agreement_acceptance = models.ForeignKey(
        "access.AgreementAcceptance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The data use agreement version the holder accepted for this grant.",
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dataset"],
                condition=Q(status__in=["active", "suspended"]),
                name="access_accessgrant_one_live_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status", "valid_until"], name="grant_user_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.dataset} ({self.status})"


class AccessVersion(models.Model):
    """A person's access version: a new random number every time anything behind their access
    facts changes (`apps.access.facts`). Written only by database triggers
    (`apps.access.versioning`), in the transaction of the change, whatever wrote it.

    No foreign key: a trigger may bump a person in the very statement that deletes them, and
    a row without its person is harmless (nobody asks for it)."""

    user_id = models.UUIDField(primary_key=True)
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.version}"
