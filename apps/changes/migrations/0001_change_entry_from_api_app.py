"""Take over the change feed's table from the API app: state only, the table and its rows stay
(`db_table = "api_changeentry"`), so no entry and no partner's cursor is lost."""

from django.db import migrations, models

import apps.changes.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("api", "0002_change_feed_order_and_webhook_cursor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChangeEntry",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        (
                            "txid",
                            models.BigIntegerField(
                                db_default=apps.changes.models.CurrentTransactionId(),
                                db_index=True,
                                editable=False,
                                null=True,
                            ),
                        ),
                        ("occurred_at", models.DateTimeField(auto_now_add=True)),
                        ("resource", models.CharField(max_length=40)),
                        ("object_id", models.UUIDField()),
                        (
                            "kind",
                            models.CharField(
                                choices=[("upsert", "Upsert"), ("tombstone", "Tombstone")],
                                max_length=20,
                            ),
                        ),
                        ("project_id", models.UUIDField(blank=True, db_index=True, null=True)),
                        (
                            "audience_user_id",
                            models.UUIDField(
                                blank=True,
                                db_index=True,
                                help_text="Set when the entry concerns one person only (e.g. their grant was revoked).",
                                null=True,
                            ),
                        ),
                        (
                            "audience_organisation_id",
                            models.UUIDField(
                                blank=True,
                                db_index=True,
                                help_text="Set when the entry concerns one organisation's people only (e.g. it left a project or was suspended).",
                                null=True,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "api_changeentry",
                        "ordering": ["txid", "id"],
                        "indexes": [
                            models.Index(fields=["txid", "id"], name="changeentry_feed_order_idx")
                        ],
                    },
                ),
            ],
            database_operations=[],
        )
    ]
