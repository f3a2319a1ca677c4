from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0008_renewal_report"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessVersion",
            fields=[
                ("user_id", models.UUIDField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
        ),
    ]
