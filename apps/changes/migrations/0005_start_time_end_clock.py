"""Start the time-end clock at the moment of migrating: ends before it were never recorded by
the old receivers either, and replaying them would tell nobody anything new."""

from django.db import migrations
from django.utils import timezone


def start(apps, schema_editor):
    apps.get_model("changes", "TimeEndClock").objects.get_or_create(
        pk=1, defaults={"recorded_until": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0004_time_end_clock"),
    ]

    operations = [migrations.RunPython(start, migrations.RunPython.noop)]
