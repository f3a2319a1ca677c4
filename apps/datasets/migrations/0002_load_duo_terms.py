"""Load the 23 current GA4GH DUO permissions and modifiers from the repository's copy of the CSV."""

import csv
from pathlib import Path

from django.db import migrations

DUO_CSV = Path(__file__).resolve().parent.parent / "data" / "duo-terms.csv"


def read_duo_rows() -> list[dict[str, str]]:
    with DUO_CSV.open(encoding="utf-8", newline="") as handle:
        # Provenance notes at the top are '#' lines; csv.DictReader must not see them.
        lines = [line for line in handle if not line.lstrip().startswith("#")]
    return list(csv.DictReader(lines))


def load_duo_terms(apps, schema_editor):
    DuoTerm = apps.get_model("datasets", "DuoTerm")
    for row in read_duo_rows():
        DuoTerm.objects.update_or_create(
            id=row["id"],
            defaults={
                "shorthand": row["shorthand"],
                "label": row["label"],
                "kind": row["kind"],
                "parent_id_code": row["parent_id"],
                "requires_value": row["requires_value"] or "none",
                "summary": row["summary"],
            },
        )


def unload_duo_terms(apps, schema_editor):
    DuoTerm = apps.get_model("datasets", "DuoTerm")
    DuoTerm.objects.filter(id__in=[row["id"] for row in read_duo_rows()]).delete()


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_initial")]

    operations = [migrations.RunPython(load_duo_terms, unload_duo_terms)]
