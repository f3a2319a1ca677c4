"""How a committee decides (#18): its decision rule and quorum, and each member's vote.

Kept apart from `models.py` (requests and grants) so the committee's own records grow here.
Foreign keys are by name: `models.py` imports `DecisionRule` from this module."""

from django.conf import settings
from django.db import models

from apps.core.files import StoredFileFields
from apps.core.guard import GuardedManager
from apps.core.models import BaseModel


class DecisionRule(models.TextChoices):
    # Today's behaviour and the default: any one member who may decide approves or rejects.
    ANY_MEMBER = "any_member", "Any one member decides"
    CHAIR = "chair", "The chair decides, after the quorum has voted"
    MAJORITY = "majority", "A majority of the members who may vote"
    UNANIMOUS = "unanimous", "Every member who may vote"


VOTING_RULES = (DecisionRule.CHAIR, DecisionRule.MAJORITY, DecisionRule.UNANIMOUS)


class VoteChoice(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    ABSTAIN = "abstain", "Abstain"


class CommitteeVote(BaseModel):
    """One member's vote on one submission of a request. A request returned for edits and
    submitted again is a new round (`round_submitted_at`), so earlier votes no longer count."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.CASCADE, related_name="votes"
    )
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    round_submitted_at = models.DateTimeField()
    choice = models.CharField(max_length=10, choices=VoteChoice.choices)
    reason = models.TextField()

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "voter", "round_submitted_at"],
                name="access_committeevote_one_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_choice_display()} by {self.voter} on {self.request_id}"


class RequestReview(BaseModel):
    """A written review of one request asked of a named person (an ethics or data-protection
    expert from any organisation). The reviewer reads that request and its documents only,
    never decides, and is kept out by the same conflict rules as the committee."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_reviews"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(help_text="What the committee asks the reviewer to look at.")
    review = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "reviewer"], name="access_requestreview_one_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"Review by {self.reviewer} of {self.request_id}"


class Thread(models.TextChoices):
    COMMITTEE = "committee", "Committee only"
    REQUESTER = "requester", "With the requester"


class RequestMessage(BaseModel):
    """One message in a request's discussion: the committee's own thread (never shown to the
    requester, reviewers or conflicted members) or the thread with the requester."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.CASCADE, related_name="messages"
    )
    thread = models.CharField(max_length=20, choices=Thread.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["request", "thread"], name="requestmessage_thread_idx")]

    def __str__(self) -> str:
        return f"Message by {self.author} on {self.request_id} ({self.thread})"


class DocumentKind(models.TextChoices):
    ETHICS_APPROVAL = "ethics_approval", "Ethics approval letter"
    RESEARCH_PROPOSAL = "research_proposal", "Research proposal"
    DATA_MANAGEMENT_PLAN = "data_management_plan", "Data management plan"
    OTHER = "other", "Other supporting document"


class RequestDocument(BaseModel, StoredFileFields):
    """A document the requester attached to their request (ethics approval letter, proposal…):
    stored under a protected path, checksummed, its type sniffed from its bytes."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.file_name


class DataUseAgreement(BaseModel):
    """One version of a data use agreement, carried by a dataset (or, for every dataset of its
    project, by the committee). Versions are immutable; the text is Markdown, rendered and
    sanitised for display (`apps.access.agreements`), and its SHA-256 is what acceptances and
    grants record."""

    dataset = models.ForeignKey(
        "datasets.Dataset",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agreements",
    )
    committee = models.ForeignKey(
        "access.DataAccessCommittee",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agreements",
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="Markdown.")
    text_sha256 = models.CharField("SHA-256 of the text", max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "version"],
                condition=models.Q(dataset__isnull=False),
                name="access_datauseagreement_dataset_version",
            ),
            models.UniqueConstraint(
                fields=["committee", "version"],
                condition=models.Q(committee__isnull=False),
                name="access_datauseagreement_committee_version",
            ),
            models.CheckConstraint(
                condition=models.Q(dataset__isnull=True) ^ models.Q(committee__isnull=True),
                name="access_datauseagreement_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"


class AgreementAcceptance(BaseModel):
    """The requester's acceptance of one agreement version when submitting a request: who,
    when, from where, and the SHA-256 of the exact text they accepted."""

    request = models.ForeignKey(
        "access.AccessRequest", on_delete=models.CASCADE, related_name="agreement_acceptances"
    )
    agreement = models.ForeignKey(
        DataUseAgreement, on_delete=models.PROTECT, related_name="acceptances"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    text_sha256 = models.CharField(max_length=64)

    objects = GuardedManager()

    class Meta:
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.agreement}"
