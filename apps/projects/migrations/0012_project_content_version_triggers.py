"""Bump a project's content version by database trigger (PostgreSQL and SQLite) on every write
to a table the cached parts of its page show, so that no write path — queryset updates, bulk
writes, admin actions, raw SQL — can leave a cached fragment in force (issue 16)."""

from django.db import migrations

from apps.projects import content_versions


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0011_project_content_version"),
        ("access", "0010_access_version_triggers"),
        ("accounts", "0003_apitoken_created_and_revoked_by"),
        ("analyses", "0002_search_columns_and_feed_capture"),
        ("datasets", "0006_dataset_file_upload_verifying"),
        ("diseases", "0003_seed_disease_areas"),
        ("documents", "0002_protocolversion_immutable_trigger"),
        ("milestones", "0002_deliverable_analysis_versions"),
        ("organisations", "0004_organisation_import"),
    ]

    operations = [
        migrations.RunPython(content_versions.install, content_versions.uninstall, elidable=False),
        migrations.RunPython(
            content_versions.seed_versions, migrations.RunPython.noop, elidable=False
        ),
    ]
