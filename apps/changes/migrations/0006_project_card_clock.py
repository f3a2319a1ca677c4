"""Triggers that move `Project.card_updated_at` only when the public card changes (any write
path), so `?updated_since` and the feed tell card-only callers nothing of hidden activity."""

from django.db import migrations

from apps.changes import triggers


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0005_start_time_end_clock"),
        ("projects", "0009_fill_project_card_updated_at"),
    ]

    operations = [
        migrations.RunPython(
            triggers.install_card_clock, triggers.uninstall_card_clock, elidable=False
        )
    ]
