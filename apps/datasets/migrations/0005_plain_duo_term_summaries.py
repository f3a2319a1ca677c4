"""DUO term summaries in plain words (ACCESS.md "Reasons are for people"): the dataset page
showed "a stated number of months (integer)" and ontology names (MONDO, EDAM, GAZ, ISO 8601).
The repository CSV stays a faithful copy of shared/data/duo-terms.csv; this rewrites only the
five summaries people read, and putting them back restores the CSV's text."""

from django.db import migrations

PLAIN = {
    "DS": "Only research on the named disease areas (and their sub-areas) is allowed.",
    "RS": "Use is limited to research on a stated topic.",
    "GS": "Use is limited to the named countries or regions.",
    "MOR": "Results may not be published before a stated date; also called a publication embargo.",
    "TS": "Access lasts at most a stated number of months.",
}


def plain_summaries(apps, schema_editor):
    DuoTerm = apps.get_model("datasets", "DuoTerm")
    for shorthand, summary in PLAIN.items():
        DuoTerm.objects.filter(shorthand=shorthand).update(summary=summary)


def restore_csv_summaries(apps, schema_editor):
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "data" / "duo-terms.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.lstrip().startswith("#"))
        original = {row["shorthand"]: row["summary"] for row in rows}
    DuoTerm = apps.get_model("datasets", "DuoTerm")
    for shorthand in PLAIN:
        DuoTerm.objects.filter(shorthand=shorthand).update(summary=original[shorthand])


class Migration(migrations.Migration):
    dependencies = [("datasets", "0004_dataset_file_upload")]

    operations = [migrations.RunPython(plain_summaries, restore_csv_summaries)]
