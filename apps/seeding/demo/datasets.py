"""Demo datasets: one in every access tier for each demo consortium, each with a small real
CSV file stored through the services (so checksums and audit events are genuine). Idempotent:
datasets are found by project and title, files by name."""

import csv
import io
import random

from django.core.files.base import ContentFile

from apps.core.models import AccessTier
from apps.datasets import services
from apps.datasets.models import Dataset, DatasetStatus
from apps.projects.models import Partner, PartnerRole, PartnerStatus
from apps.seeding.demo.documents import demo_projects, project_people

# title, tier, description, file name, published?
DEMO_DATASETS = [
    (
        "Cohort summary statistics",
        AccessTier.PUBLIC,
        "Aggregate baseline characteristics of the recruited cohort by stratum.",
        "cohort-summary.csv",
        True,
    ),
    (
        "Assay validation results",
        AccessTier.REGISTERED,
        "Precision and linearity of the companion diagnostic assay across three sites.",
        "assay-validation.csv",
        True,
    ),
    (
        "Baseline clinical measurements",
        AccessTier.CONSORTIUM,
        "Spirometry, blood eosinophils and exacerbation history at baseline.",
        "baseline-clinical.csv",
        True,
    ),
    (
        "Sputum transcriptomics (lead partner only)",
        AccessTier.ORGANISATIONS,
        "Normalised gene expression of induced sputum, restricted to the lead partner.",
        "sputum-expression.csv",
        True,
    ),
    (
        "Pseudonymised patient-level outcomes",
        AccessTier.CONTROLLED,
        "52-week outcomes per participant; released through the data access committee.",
        "patient-outcomes.csv",
        True,
    ),
    (
        "Proteomics pilot (draft)",
        AccessTier.CONSORTIUM,
        "Pilot proteomics run, being quality-checked before publication.",
        "proteomics-pilot.csv",
        False,
    ),
]


# The other consortia's datasets belong to their diseases (RESPIRA, asthma and COPD, uses the
# list above): rheumatoid arthritis for SYNOVIA, non-small-cell lung cancer for PRECISE-LUNG.
DISEASE_DATASETS = {
    "SYNOVIA": [
        (
            "Cohort summary statistics",
            AccessTier.PUBLIC,
            "Aggregate baseline characteristics of the rheumatoid arthritis cohort by stratum.",
            "cohort-summary.csv",
            True,
        ),
        (
            "Assay validation results",
            AccessTier.REGISTERED,
            "Precision of the synovial gene-expression assay across three laboratories.",
            "assay-validation.csv",
            True,
        ),
        (
            "Baseline disease activity",
            AccessTier.CONSORTIUM,
            "DAS28-CRP, swollen and tender joint counts and seropositivity at baseline.",
            "baseline-activity.csv",
            True,
        ),
        (
            "Synovial biopsy transcriptomics (lead partner only)",
            AccessTier.ORGANISATIONS,
            "RNA-seq of ultrasound-guided synovial biopsies, restricted to the lead partner.",
            "synovial-expression.csv",
            True,
        ),
        (
            "Pseudonymised patient-level outcomes",
            AccessTier.CONTROLLED,
            "Week-24 ACR50 and DAS28 remission per participant; released through the committee.",
            "patient-outcomes.csv",
            True,
        ),
        (
            "Serum cytokine pilot (draft)",
            AccessTier.CONSORTIUM,
            "Pilot multiplex cytokine panel, being quality-checked before publication.",
            "cytokine-pilot.csv",
            False,
        ),
    ],
    "PRECISE-LUNG": [
        (
            "Cohort summary statistics",
            AccessTier.PUBLIC,
            "Aggregate baseline characteristics of the NSCLC cohort by molecular stratum.",
            "cohort-summary.csv",
            True,
        ),
        (
            "Assay validation results",
            AccessTier.REGISTERED,
            "Concordance of the ctDNA panel with tissue sequencing across three sites.",
            "assay-validation.csv",
            True,
        ),
        (
            "Baseline tumour characteristics",
            AccessTier.CONSORTIUM,
            "Histology, stage, PD-L1 tumour proportion score and ECOG status at baseline.",
            "baseline-tumour.csv",
            True,
        ),
        (
            "Tumour whole-exome sequencing (lead partner only)",
            AccessTier.ORGANISATIONS,
            "Somatic variant calls from tumour and matched normal, restricted to the lead partner.",
            "tumour-variants.csv",
            True,
        ),
        (
            "Pseudonymised patient-level outcomes",
            AccessTier.CONTROLLED,
            "Progression-free and overall survival per participant; released through the committee.",
            "patient-outcomes.csv",
            True,
        ),
        (
            "Radiomics pilot (draft)",
            AccessTier.CONSORTIUM,
            "Pilot CT radiomic features, being quality-checked before publication.",
            "radiomics-pilot.csv",
            False,
        ),
    ],
}


def datasets_for(acronym: str) -> list:
    return DISEASE_DATASETS.get(acronym, DEMO_DATASETS)


# Per disease: the strata and three measurements (name, low, high) of the demo tables.
DISEASE_MEASURES = {
    "SYNOVIA": (
        ["lymphoid", "myeloid", "fibroid"],
        [("das28_crp", 2.0, 7.5), ("swollen_joints", 0, 20), ("crp_mg_l", 1.0, 60.0)],
    ),
    "PRECISE-LUNG": (
        ["EGFR-mutant", "ALK-rearranged", "KRAS G12C", "PD-L1 high"],
        [("pdl1_tps_percent", 0, 100), ("ctdna_vaf_percent", 0.1, 25.0), ("ecog", 0, 2)],
    ),
}
RESPIRATORY_MEASURES = (
    ["eosinophilic", "neutrophilic", "paucigranulocytic"],
    [("fev1_litres", 1.2, 3.8), ("blood_eosinophils", 0.05, 1.2), ("exacerbations", 0, 5)],
)


def demo_csv(seed_text: str, rows: int = 40, acronym: str = "") -> bytes:
    """A small deterministic table of plausible measurements for the project's disease."""
    strata, measures = DISEASE_MEASURES.get(acronym, RESPIRATORY_MEASURES)
    rng = random.Random(seed_text)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "stratum", *(name for name, _, _ in measures)])
    for number in range(1, rows + 1):
        values = [
            rng.randint(low, high) if isinstance(low, int) else f"{rng.uniform(low, high):.2f}"
            for _, low, high in measures
        ]
        writer.writerow([f"P{number:04d}", rng.choice(strata), *values])
    return buffer.getvalue().encode()


def lead_organisation(project):
    partners = list(
        Partner.objects.filter(project=project, status=PartnerStatus.ACTIVE)
        .select_related("organisation")
        .order_by("joined_on", "organisation__name")
    )
    leads = [partner.organisation for partner in partners if partner.role == PartnerRole.LEAD]
    return leads[0] if leads else (partners[0].organisation if partners else None)


def seed(stdout) -> None:
    projects = demo_projects()
    if not projects:
        stdout.write("  datasets: no active demo projects yet; skipped.")
        return
    for project in projects:
        contributor, _coordinator = project_people(project)
        steward = lead_organisation(project)
        if contributor is None or steward is None:
            stdout.write(f"  datasets: {project.acronym} has no members or partners; skipped.")
            continue
        specs = datasets_for(project.acronym)
        for spec in specs:
            seed_dataset(project, contributor, steward, *spec)
        stdout.write(f"  datasets: {len(specs)} datasets for {project.acronym} ready.")


def seed_dataset(project, actor, steward, title, tier, description, file_name, published):
    dataset = Dataset.objects.filter(project=project, title=title).first()
    if dataset is None:
        dataset = services.dataset_create(
            project=project,
            actor=actor,
            title=title,
            description=description,
            steward_organisation=steward,
            access_tier=tier,
            allowed_organisations=[steward] if tier == AccessTier.ORGANISATIONS else [],
        )
    if not dataset.files.filter(file_name=file_name).exists():
        content = demo_csv(f"{project.acronym}:{title}", acronym=project.acronym)
        services.dataset_file_add(
            dataset=dataset, actor=actor, upload=ContentFile(content, name=file_name)
        )
    if published and dataset.status == DatasetStatus.DRAFT:
        services.dataset_publish(dataset=dataset, actor=actor)
    return dataset
