"""Each entry names the row whose write produced it and that row's image before the write, so
the reader can tell whether a caller could see the object before (addressed tombstones)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_change_entry_from_api_app"),
    ]

    operations = [
        migrations.AddField(
            model_name="changeentry",
            name="cause_table",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Table of the row whose write this is.",
                max_length=63,
            ),
        ),
        migrations.AddField(
            model_name="changeentry",
            name="cause_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="changeentry",
            name="cause_op",
            field=models.CharField(
                blank=True,
                choices=[
                    ("I", "Inserted"),
                    ("U", "Updated"),
                    ("D", "Deleted"),
                    ("T", "Ended by time"),
                ],
                default="",
                max_length=1,
            ),
        ),
        migrations.AddField(
            model_name="changeentry",
            name="cause_before",
            field=models.JSONField(
                blank=True,
                help_text="The cause row as it was before the write (null when it was inserted).",
                null=True,
            ),
        ),
    ]
