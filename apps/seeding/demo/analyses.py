"""Demo analyses: one per active demo consortium, its first version citing the project's
published datasets and approved protocol versions (as its contributor sees them)."""

from django.core.files.base import ContentFile

from apps.access.policy import visible
from apps.analyses import services
from apps.analyses.models import Analysis, AnalysisCategory, AnalysisVersion
from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion
from apps.seeding.demo.documents import demo_projects, project_people

TITLE = "Stratification model: derivation of the biomarker cut-off"
NOTEBOOK = (
    '{"cells": [{"cell_type": "markdown", "source": ["# Cut-off derivation\\n", '
    '"ROC analysis of the stratifying biomarker against response."]}], '
    '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
)


def seed(stdout) -> None:
    for project in demo_projects():
        contributor, coordinator = project_people(project)
        if contributor is None or coordinator is None:
            continue
        analysis = Analysis.objects.filter(project=project, title=TITLE).first()
        if analysis is None:
            analysis = services.analysis_create(
                project=project,
                actor=contributor,
                title=TITLE,
                description="How the consortium derived the cut-off that defines its strata.",
                category=AnalysisCategory.NOTEBOOK,
                access_tier=AccessTier.CONSORTIUM,
            )
        if not analysis.versions.exists():
            datasets = visible(contributor, Dataset.objects.filter(project=project))
            protocols = visible(
                contributor,
                ProtocolVersion.objects.filter(
                    protocol__project=project, status=ProtocolVersion.Status.APPROVED
                ),
            )
            version = services.analysis_version_add(
                analysis=analysis,
                actor=contributor,
                upload=ContentFile(NOTEBOOK.encode(), name="cut-off-derivation-notebook.json"),
                change_note="First run on the baseline data.",
                datasets=list(datasets),
                protocol_versions=list(protocols),
            )
            if version.status == AnalysisVersion.Status.DRAFT:
                services.analysis_version_approve(version=version, actor=coordinator)
        stdout.write(f"  analyses: {project.acronym} ready.")
