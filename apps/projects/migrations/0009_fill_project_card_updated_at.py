"""Existing projects: the card's clock starts at the project's last change (the best bound
known; it never claims a change later than one that happened)."""

from django.db import migrations
from django.db.models import F


def fill(apps, schema_editor):
    apps.get_model("projects", "Project").objects.update(card_updated_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_project_card_updated_at"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
