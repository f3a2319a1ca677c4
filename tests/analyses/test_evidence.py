"""Analysis versions as deliverable evidence, through the registry's evidence parts: the
picker offers the versions the editor may see, the service links them, and the deliverable's
page and the API show each reader only the evidence they may see."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.analyses.models import AnalysisVersion
from apps.milestones import services
from apps.milestones.models import Deliverable
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.api.conftest import client_for
from tests.milestones.factories import DeliverableFactory

pytestmark = pytest.mark.django_db


def test_the_evidence_picker_offers_the_projects_analysis_versions(client, project, coordinator):
    AnalysisVersionFactory(analysis=AnalysisFactory(project=project, title="Cut-off notebook"))
    client.force_login(coordinator)
    page = client.get(reverse("milestones:deliverable_create", kwargs={"slug": project.slug}))
    assert page.status_code == 200
    assert 'name="analysis_versions"' in page.content.decode()
    assert "Cut-off notebook v1" in page.content.decode()


def test_a_deliverable_cites_an_analysis_version_and_shows_it_to_its_readers(
    client, project, coordinator, partner_member
):
    version = AnalysisVersionFactory(analysis=AnalysisFactory(project=project, title="Model"))
    deliverable = services.deliverable_create(
        project=project,
        actor=coordinator,
        code="D3.1",
        title="Stratification report",
        due_month=18,
        dissemination=Deliverable.Dissemination.CONSORTIUM,
        analysis_versions=[version],
    )
    assert list(deliverable.analysis_versions.all()) == [version]
    client.force_login(partner_member)
    page = client.get(reverse("milestones:deliverable", kwargs={"deliverable_id": deliverable.pk}))
    assert "Analysis" in page.content.decode() and "Model</a>, version 1" in page.content.decode()


def test_a_draft_analysis_version_stays_hidden_from_a_public_deliverables_visitors(
    client, project, coordinator
):
    draft = AnalysisVersionFactory(
        analysis=AnalysisFactory(project=project, title="Unfinishedmodel"),
        status=AnalysisVersion.Status.DRAFT,
    )
    deliverable = DeliverableFactory(
        project=project,
        dissemination=Deliverable.Dissemination.PUBLIC,
        status=Deliverable.Status.SUBMITTED,
        approved_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    deliverable.analysis_versions.add(draft)
    page = client.get(reverse("milestones:deliverable", kwargs={"deliverable_id": deliverable.pk}))
    assert page.status_code == 200
    assert "Unfinishedmodel" not in page.content.decode()


def test_a_deliverable_cannot_cite_another_projects_analysis(project, coordinator):
    elsewhere = AnalysisVersionFactory()
    with pytest.raises(ValidationError) as refused:
        services.deliverable_create(
            project=project,
            actor=coordinator,
            code="D3.2",
            title="Report",
            analysis_versions=[elsewhere],
        )
    assert "analysis_versions" in refused.value.message_dict


def test_the_api_links_an_analysis_version_and_shows_it_only_to_those_who_may_see_it(
    project, coordinator, outsider
):
    version = AnalysisVersionFactory(analysis=AnalysisFactory(project=project, title="Model"))
    other = AnalysisVersionFactory(analysis=AnalysisFactory(project=project, title="Other"))
    api = client_for(coordinator)
    created = api.post(
        "/api/v1/deliverables/",
        {
            "project": str(project.pk),
            "code": "D3.2",
            "title": "Model report",
            "due_month": 18,
            "dissemination": "public",
            "analysis_versions": [str(version.pk)],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["analysis_versions"] == [str(version.pk)]
    url = created.json()["url"]
    patched = api.patch(url, {"analysis_versions": [str(other.pk)]}, format="json")
    assert patched.json()["analysis_versions"] == [str(other.pk)]
    # Approved and public, the deliverable reaches an outsider; the consortium's analysis not.
    Deliverable.objects.filter(code="D3.2").update(status=Deliverable.Status.APPROVED)
    body = client_for(outsider).get(url).json()
    assert body["code"] == "D3.2"
    assert body["analysis_versions"] == []


def test_the_api_refuses_an_analysis_version_of_another_project(project, coordinator):
    elsewhere = AnalysisVersionFactory()
    response = client_for(coordinator).post(
        "/api/v1/deliverables/",
        {
            "project": str(project.pk),
            "code": "D3.3",
            "title": "Report",
            "due_month": 18,
            "analysis_versions": [str(elsewhere.pk)],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Link only analysis versions of this project." in str(response.json())
