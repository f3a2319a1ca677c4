"""The shared kinds' projections are generated from the registry (`apps.core.kinds`), which
puts analyses in the search table: install the table's functions and triggers again (the
project's trigger now re-projects analyses too; analyses get their own) and refill it.

The projections of datasets and protocols are unchanged (the same SQL). PostgreSQL only, like
search/0002. Backwards: nothing to undo — the older code searches analyses through their own
table and ignores their entries, which the triggers keep right; unapplying search/0002 drops
the table with its triggers."""

from django.db import migrations

from apps.search import index


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_search_entry"),
        ("analyses", "0002_search_columns_and_feed_capture"),
    ]

    operations = [migrations.RunPython(index.install, migrations.RunPython.noop, elidable=False)]
