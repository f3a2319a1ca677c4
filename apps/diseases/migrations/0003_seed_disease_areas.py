"""Seed the disease-area taxonomy every portal starts with; staff curate it from then on.

Reversible: the reverse removes exactly these rows (children before parents), and only when no
project still uses them, so curated data is never lost by rolling back.
"""

from django.db import migrations

# (slug, name, ICD-10 codes, parent slug, description)
SEED_AREAS = [
    (
        "respiratory-inflammatory-disease",
        "Respiratory inflammatory disease",
        ["J44-J45"],
        None,
        "Chronic inflammatory diseases of the airways, chiefly asthma and COPD.",
    ),
    ("asthma", "Asthma", ["J45"], "respiratory-inflammatory-disease", ""),
    (
        "severe-asthma",
        "Severe asthma",
        ["J45"],
        "asthma",
        "Asthma uncontrolled despite high-dose inhaled corticosteroids, incl. eosinophilic forms.",
    ),
    (
        "copd",
        "Chronic obstructive pulmonary disease",
        ["J44"],
        "respiratory-inflammatory-disease",
        "",
    ),
    (
        "joint-inflammatory-disease",
        "Joint inflammatory disease",
        ["M05-M14"],
        None,
        "Inflammatory polyarthropathies, including rheumatoid and juvenile arthritis.",
    ),
    ("rheumatoid-arthritis", "Rheumatoid arthritis", ["M05-M06"], "joint-inflammatory-disease", ""),
    ("juvenile-arthritis", "Juvenile arthritis", ["M08"], "joint-inflammatory-disease", ""),
    (
        "psoriatic-arthritis",
        "Psoriatic arthritis",
        ["L40.5", "M07.0-M07.3"],
        "joint-inflammatory-disease",
        "",
    ),
    ("cancer", "Cancer", ["C00-D48"], None, "Malignant, in situ and uncertain neoplasms."),
    ("lung-cancer", "Lung cancer", ["C34"], "cancer", ""),
    (
        "non-small-cell-lung-cancer",
        "Non-small cell lung cancer",
        ["C34"],
        "lung-cancer",
        "Adenocarcinoma, squamous cell and large cell carcinoma of the lung.",
    ),
    ("breast-cancer", "Breast cancer", ["C50"], "cancer", ""),
    ("colorectal-cancer", "Colorectal cancer", ["C18-C20"], "cancer", ""),
    ("melanoma", "Melanoma", ["C43"], "cancer", ""),
    ("prostate-cancer", "Prostate cancer", ["C61"], "cancer", ""),
    (
        "inflammatory-bowel-disease",
        "Inflammatory bowel disease",
        ["K50-K51"],
        None,
        "Crohn disease and ulcerative colitis.",
    ),
    ("crohns-disease", "Crohn disease", ["K50"], "inflammatory-bowel-disease", ""),
    ("ulcerative-colitis", "Ulcerative colitis", ["K51"], "inflammatory-bowel-disease", ""),
    ("type-2-diabetes", "Type 2 diabetes", ["E11"], None, ""),
    ("alzheimers-disease", "Alzheimer disease", ["G30"], None, ""),
    ("psoriasis", "Psoriasis", ["L40"], None, ""),
    (
        "cardiovascular-disease",
        "Cardiovascular disease",
        ["I20-I25"],
        None,
        "Ischaemic heart disease: angina, myocardial infarction and chronic forms.",
    ),
]


def seed_areas(apps, schema_editor):
    DiseaseArea = apps.get_model("diseases", "DiseaseArea")
    by_slug = {}
    for slug, name, codes, parent_slug, description in SEED_AREAS:
        area, _ = DiseaseArea.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "icd10_codes": codes,
                "description": description,
                "parent": by_slug.get(parent_slug),
            },
        )
        by_slug[slug] = area


def remove_areas(apps, schema_editor):
    DiseaseArea = apps.get_model("diseases", "DiseaseArea")
    for slug, *_ in reversed(SEED_AREAS):
        DiseaseArea.objects.filter(slug=slug, projects__isnull=True, children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("diseases", "0002_validate_icd10_codes"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed_areas, remove_areas)]
