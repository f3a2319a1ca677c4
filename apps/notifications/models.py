from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.guard import GuardedManager
from apps.core.models import BaseModel


class EventType(models.TextChoices):
    ORGANISATION_PENDING = "organisation_pending", "Organisation awaiting approval"
    PROJECT_PENDING = "project_pending", "Project awaiting approval"
    INVITATION = "invitation", "Invitation"
    MEMBERSHIP_CHANGED = "membership_changed", "Project membership change"
    PROTOCOL_VERSION = "protocol_version", "New protocol version"
    DATASET_PUBLISHED = "dataset_published", "Dataset published"
    ANALYSIS_VERSION = "analysis_version", "New analysis version"
    REQUEST_FILED = "request_filed", "Access request filed"
    REQUEST_DECIDED = "request_decided", "Access request decided"
    REVIEW_ASKED = "review_asked", "Review of an access request asked of you"
    REQUEST_MESSAGE = "request_message", "Message about an access request"
    GRANT_EXPIRING = "grant_expiring", "Grant expiring"
    GRANT_EXPIRED = "grant_expired", "Grant expired"
    GRANT_REVOKED = "grant_revoked", "Grant revoked"
    MILESTONE_DUE = "milestone_due", "Milestone due in 7 days"
    MILESTONE_OVERDUE = "milestone_overdue", "Milestone overdue"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"


class Notification(BaseModel):
    """An in-app record, written in the transaction of the event; the e-mail outbox follows."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)
    # The digest e-mail that gathered it: the digest is checked against the policy again,
    # notification by notification, when it is sent (`digest.digest_recheck`).
    digest_email = models.ForeignKey(
        "OutboxEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digested_notifications",
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "E-mail me at once"
    DIGEST = "digest", "Daily digest"
    IN_APP = "in_app", "In-app only"


class NotificationPreference(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    delivery = models.CharField(max_length=20, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_type"], name="notifications_preference_unique"
            ),
        ]


class OutboxEmail(BaseModel):
    """The outbox is the truth; the broker only a hint. `delivery_key` makes sending idempotent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    delivery_key = models.CharField(max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    to_address = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Who holds the claim: marking `sent` is conditional on it, so a worker whose claim was
    # taken over (it looked dead) can never complete a second delivery.
    claim_token = models.UUIDField(null=True, blank=True)
    # Backoff after an SMTP error: neither the task nor the sweep claims the row before this.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["status", "created_at"],
                name="outbox_status_idx",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]
