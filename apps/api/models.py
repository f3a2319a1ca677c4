from django.conf import settings
from django.db import models

from apps.core.models import BaseModel


class ChangeEntry(models.Model):
    """The change feed: upserts and tombstones of syncable resources, in commit order.

    Written in the transaction of the change. Readers only return entries below the lowest
    id still in flight (see the API's change-feed selector), so commit order holds.
    """

    class Kind(models.TextChoices):
        UPSERT = "upsert", "Upsert"
        TOMBSTONE = "tombstone", "Tombstone"

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(auto_now_add=True)
    resource = models.CharField(max_length=40)
    object_id = models.UUIDField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    project_id = models.UUIDField(null=True, blank=True, db_index=True)
    audience_user_id = models.UUIDField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Set when the entry concerns one person only (e.g. their grant was revoked).",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource} {self.object_id}"


class WebhookEndpoint(BaseModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField()
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
