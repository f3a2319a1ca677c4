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


def demo_csv(seed_text: str, rows: int = 40) -> bytes:
    """A small deterministic table of plausible measurements."""
    rng = random.Random(seed_text)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["participant", "stratum", "fev1_litres", "blood_eosinophils", "exacerbations"])
    for number in range(1, rows + 1):
        writer.writerow(
            [
                f"P{number:04d}",
                rng.choice(["eosinophilic", "neutrophilic", "paucigranulocytic"]),
                f"{rng.uniform(1.2, 3.8):.2f}",
                f"{rng.uniform(0.05, 1.2):.2f}",
                rng.randint(0, 5),
            ]
        )
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
        for spec in DEMO_DATASETS:
            seed_dataset(project, contributor, steward, *spec)
        stdout.write(f"  datasets: {len(DEMO_DATASETS)} datasets for {project.acronym} ready.")


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
        content = demo_csv(f"{project.acronym}:{title}")
        services.dataset_file_add(
            dataset=dataset, actor=actor, upload=ContentFile(content, name=file_name)
        )
    if published and dataset.status == DatasetStatus.DRAFT:
        services.dataset_publish(dataset=dataset, actor=actor)
    return dataset
