"""How far the beat task has recorded grants and memberships ending by the clock."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0003_capture_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="TimeEndClock",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(
                        default=1, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("recorded_until", models.DateTimeField()),
            ],
        ),
    ]
