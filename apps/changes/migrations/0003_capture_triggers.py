"""Record the change feed by database trigger (PostgreSQL and SQLite), so that no write path —
queryset updates, bulk writes, admin actions, raw SQL — can miss it. Replaces the API app's
post_save receivers."""

from django.db import migrations

from apps.changes import triggers


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0002_change_entry_cause"),
        ("access", "0002_cross_app_links"),
        ("datasets", "0003_dataset_title_order_index"),
        ("documents", "0002_protocolversion_immutable_trigger"),
        ("milestones", "0001_initial"),
        ("notifications", "0003_project_pending_and_webhook_disabled_events"),
        ("organisations", "0002_validate_logo_and_shared_domains"),
        ("projects", "0006_project_search_vector"),
        ("diseases", "0003_seed_disease_areas"),
    ]

    operations = [migrations.RunPython(triggers.install, triggers.uninstall, elidable=False)]
