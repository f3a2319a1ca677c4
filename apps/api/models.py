from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import BaseModel


class CurrentTransactionId(models.Func):
    """The writing transaction's id as a bigint on PostgreSQL (xid8 is epoch-extended and never
    wraps); NULL elsewhere. SQLite serialises writers, so there the row id is commit order."""

    output_field = models.BigIntegerField()
    template = "NULL"

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class ChangeEntry(models.Model):
    """The change feed: "(resource, object_id) changed" rows, written by `apps.api.changes` in
    the transaction of the change (so they commit or roll back with it).

    Entries are read in (txid, id) order and only below the oldest transaction still running
    (`pg_snapshot_xmin`), so a reader never moves its cursor past a row that commits later.
    Whether an entry is an upsert or a tombstone *for a given caller* is decided when it is
    read, against the current rows and the access policy; `kind` records only deletions.
    """

    class Kind(models.TextChoices):
        UPSERT = "upsert", "Upsert"
        TOMBSTONE = "tombstone", "Tombstone"

    id = models.BigAutoField(primary_key=True)
    txid = models.BigIntegerField(
        null=True, editable=False, db_default=CurrentTransactionId(), db_index=True
    )
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
    audience_organisation_id = models.UUIDField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Set when the entry concerns one organisation's people only (e.g. it left a "
        "project or was suspended).",
    )

    class Meta:
        ordering = ["txid", "id"]
        indexes = [models.Index(fields=["txid", "id"], name="changeentry_feed_order_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource} {self.object_id}"


class WebhookEndpoint(BaseModel):
    """An organisation's HTTPS receiver. Events are the change feed as the organisation's
    service account sees it; `cursor_*` is how far the dispatcher has read the feed."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    cursor_txid = models.BigIntegerField(default=0)
    cursor_id = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(BaseModel):
    """One event for one endpoint. Its id is the `Stratum-Delivery` header: every attempt of
    the same delivery carries the same id, so a receiver can drop repeats."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    change_entry_id = models.BigIntegerField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "change_entry_id"],
                condition=Q(redelivery_of__isnull=True, change_entry_id__isnull=False),
                name="api_webhookdelivery_once_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
