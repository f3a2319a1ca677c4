"""The change feed's table now belongs to `apps.changes` (the API only reads it): the model
leaves this app's state; the table and its rows stay where they are (`api_changeentry`)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_change_feed_order_and_webhook_cursor"),
        ("changes", "0001_change_entry_from_api_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ChangeEntry")],
            database_operations=[],
        )
    ]
