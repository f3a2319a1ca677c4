"""The search table `search_entry` and the triggers that keep it (`apps.search.index`).

PostgreSQL only; on SQLite (`make run`) it does nothing and search reads the kinds' tables.
Filling it reads every searchable row once (about a second per 100,000 rows)."""

from django.db import migrations

from apps.search import index


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_trigram_and_text_indexes"),
        ("projects", "0009_fill_project_card_updated_at"),
        ("organisations", "0004_organisation_import"),
    ]

    operations = [migrations.RunPython(index.install, index.uninstall, elidable=False)]
