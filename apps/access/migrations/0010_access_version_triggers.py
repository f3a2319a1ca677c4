"""Bump a person's access version by database trigger (PostgreSQL and SQLite) on every write
behind their access facts, so that no write path — queryset updates, bulk writes, admin
actions, raw SQL — can leave a cached entry in force (issue 16)."""

from django.db import migrations

from apps.access import versioning


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0009_access_version"),
        ("accounts", "0001_initial"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("organisations", "0004_organisation_import"),
        ("projects", "0009_fill_project_card_updated_at"),
    ]

    operations = [
        migrations.RunPython(versioning.install, versioning.uninstall, elidable=False),
        migrations.RunPython(versioning.seed_versions, migrations.RunPython.noop, elidable=False),
    ]
