from django.db import models

from apps.core.guard import GuardedManager


class CurrentTransactionId(models.Func):
    """The writing transaction's id as a bigint on PostgreSQL (xid8 is epoch-extended and never
    wraps); NULL elsewhere. SQLite serialises writers, so there the row id is commit order."""

    output_field = models.BigIntegerField()
    template = "NULL"

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class ChangeEntry(models.Model):
    """The change feed: "(resource, object_id) may look different now" rows, written by the
    database triggers of `apps.changes.triggers` in the writer's transaction (so they commit or
    roll back with the change, whatever wrote it) and by `changes_record_time_ends`.

    Entries are read in (txid, id) order and only below the oldest transaction still running,
    so a reader never moves its cursor past a row that commits later. Whether an entry is an
    upsert or a tombstone *for a given caller* is decided when it is read, against the current
    rows and the access policy; `kind` records only deletions. `cause_*` name the row whose
    write produced the entry and its image before that write, so the reader can ask the policy
    whether the caller could see the object *before* (addressed tombstones, see
    `apps.changes.selectors`).
    """

    class Kind(models.TextChoices):
        UPSERT = "upsert", "Upsert"
        TOMBSTONE = "tombstone", "Tombstone"

    class CauseOp(models.TextChoices):
        INSERT = "I", "Inserted"
        UPDATE = "U", "Updated"
        DELETE = "D", "Deleted"
        TIME = "T", "Ended by time"

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
    cause_table = models.CharField(
        max_length=63, blank=True, default="", help_text="Table of the row whose write this is."
    )
    cause_id = models.CharField(max_length=64, blank=True, default="")
    cause_op = models.CharField(max_length=1, choices=CauseOp.choices, blank=True, default="")
    cause_before = models.JSONField(
        null=True,
        blank=True,
        help_text="The cause row as it was before the write (null when it was inserted).",
    )

    objects = GuardedManager()

    class Meta:
        db_table = "api_changeentry"
        ordering = ["txid", "id"]
        indexes = [models.Index(fields=["txid", "id"], name="changeentry_feed_order_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource} {self.object_id}"


class TimeEndClock(models.Model):
    """How far `changes_record_time_ends` has recorded ends that come by the clock (a grant's
    `valid_until`, a membership's `ends_on`): one row, moved forward under a row lock, so two
    beat runs never record the same end twice."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    recorded_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"time ends recorded until {self.recorded_until:%Y-%m-%d %H:%M:%S}"
