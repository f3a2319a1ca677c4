"""Analysis pages run through the shared item pages (`apps.items.views`): created with a
first version citing what the author sees, new versions uploaded, drafts approved by the
project's coordinators only. A version may be code or a notebook, which a dataset may not."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.analyses import services
from apps.analyses.models import Analysis, AnalysisVersion
from apps.audit.models import AuditEvent
from apps.core.models import AccessTier
from apps.datasets.services import dataset_file_add
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.datasets.factories import DatasetFactory

pytestmark = pytest.mark.django_db
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
Status = AnalysisVersion.Status


def _notebook():
    return SimpleUploadedFile("cut-off.json", NOTEBOOK, content_type="application/json")


def test_contributor_creates_an_analysis_with_its_first_version_citing_a_dataset(
    client, partner_member, project, lead_org
):
    dataset = DatasetFactory(project=project, steward_organisation=lead_org)
    client.force_login(partner_member)
    url = reverse("analyses:create", kwargs={"project_pk": project.pk})
    form_page = client.get(url)
    assert form_page.status_code == 200
    assert dataset.title in form_page.content.decode()
    response = client.post(
        url,
        {
            "title": "Eosinophil cut-off",
            "category": "notebook",
            "access_tier": AccessTier.CONSORTIUM,
            "change_note": "First run.",
            "datasets": [dataset.pk],
            "file": _notebook(),
        },
    )
    analysis = Analysis.objects.get(title="Eosinophil cut-off")
    assert response.status_code == 302
    version = analysis.versions.get()
    assert (version.number, version.status) == (1, Status.DRAFT)
    assert list(version.datasets.all()) == [dataset]
    assert AuditEvent.objects.filter(action="analysis.create").exists()


def test_analysis_create_refuses_the_controlled_tier_and_keeps_nothing(
    client, partner_member, project
):
    client.force_login(partner_member)
    url = reverse("analyses:create", kwargs={"project_pk": project.pk})
    response = client.post(
        url,
        {
            "title": "Controlled analysis",
            "category": "code",
            "access_tier": AccessTier.CONTROLLED,
            "change_note": "First run.",
            "file": _notebook(),
        },
    )
    assert response.status_code == 400
    assert not Analysis.objects.exists()


def test_a_partner_uploads_a_new_version_and_an_outsider_gets_404(
    client, partner_member, outsider, project
):
    analysis = AnalysisFactory(project=project)
    AnalysisVersionFactory(analysis=analysis)
    url = reverse("analyses:version_upload", kwargs={"pk": analysis.pk})
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(partner_member)
    response = client.post(url, {"change_note": "Second run.", "file": _notebook()})
    assert response.status_code == 302
    assert analysis.versions.get(number=2).status == Status.DRAFT


def test_only_a_coordinator_approves_a_draft_which_supersedes_the_approved_one(
    client, coordinator, partner_member, project
):
    analysis = AnalysisFactory(project=project)
    first = AnalysisVersionFactory(analysis=analysis)
    draft = AnalysisVersionFactory(analysis=analysis, status=Status.DRAFT)
    url = reverse("analyses:version_approve", kwargs={"pk": analysis.pk, "number": draft.number})
    client.force_login(partner_member)
    assert client.post(url).status_code == 403
    client.force_login(coordinator)
    assert f"Approve version {draft.number}" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    first.refresh_from_db()
    draft.refresh_from_db()
    assert (first.status, draft.status) == (Status.SUPERSEDED, Status.APPROVED)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("cut-off.ipynb", NOTEBOOK, "application/x-ipynb+json"),
        ("derive_cut_off.py", b"import pandas as pd\n", "text/x-python"),
        ("survival_model.R", b"library(survival)\n", "text/x-r"),
    ],
)
def test_an_analysis_version_may_be_a_notebook_or_a_python_or_r_script(
    project, partner_member, name, content, content_type
):
    analysis = AnalysisFactory(project=project)
    version = services.analysis_version_add(
        analysis=analysis,
        actor=partner_member,
        upload=ContentFile(content, name=name),
        change_note="Run.",
    )
    assert (version.file_name, version.content_type) == (name, content_type)


def test_a_dataset_file_may_not_be_a_script(project, partner_member, lead_org):
    dataset = DatasetFactory(project=project, steward_organisation=lead_org)
    with pytest.raises(ValidationError) as refused:
        dataset_file_add(
            dataset=dataset, actor=partner_member, upload=ContentFile(b"import os\n", name="x.py")
        )
    assert "not accepted" in " ".join(refused.value.messages)
