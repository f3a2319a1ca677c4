"""Analyses: versions with checksums citing only what their author may see, shown on the
project page, in the API (with the inputs each caller may see) and announced to members."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse

from apps.analyses import services
from apps.analyses.models import AnalysisVersion
from apps.core.models import AccessTier
from apps.notifications.models import EventType, Notification
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


def _upload(content: bytes = NOTEBOOK, name: str = "cut-off-notebook.json"):
    return ContentFile(content, name=name)


def test_a_version_keeps_its_checksum_and_cites_the_inputs_its_author_sees(
    project, partner_member, lead_org
):
    analysis = AnalysisFactory(project=project)
    dataset = DatasetFactory(project=project, steward_organisation=lead_org)
    version = services.analysis_version_add(
        analysis=analysis,
        actor=partner_member,
        upload=_upload(),
        change_note="First run.",
        datasets=[dataset],
    )
    assert version.number == 1 and version.status == AnalysisVersion.Status.DRAFT
    assert version.sha256 == hashlib.sha256(NOTEBOOK).hexdigest()
    assert list(version.datasets.all()) == [dataset]


def test_a_version_cannot_cite_a_dataset_hidden_from_its_author(project, partner_member):
    analysis = AnalysisFactory(project=project)
    elsewhere = DatasetFactory(project=ProjectFactory(), access_tier=AccessTier.CONSORTIUM)
    with pytest.raises(ValidationError) as refused:
        services.analysis_version_add(
            analysis=analysis,
            actor=partner_member,
            upload=_upload(),
            change_note="Run.",
            datasets=[elsewhere],
        )
    assert "datasets" in refused.value.message_dict
    assert not analysis.versions.exists()


def test_a_new_version_notifies_the_other_members_of_the_project(
    project, coordinator, partner_member
):
    analysis = AnalysisFactory(project=project, title="Cut-off derivation")
    services.analysis_version_add(
        analysis=analysis, actor=partner_member, upload=_upload(), change_note="Run."
    )
    notices = Notification.objects.filter(event_type=EventType.ANALYSIS_VERSION)
    recipients = set(notices.values_list("recipient_id", flat=True))
    assert coordinator.pk in recipients and partner_member.pk not in recipients
    assert "Cut-off derivation v1" in notices.first().subject


def test_the_project_page_lists_analyses_to_partners_only(
    client, project, partner_member, outsider
):
    AnalysisFactory(project=project, title="Stratification model alpha")
    client.force_login(partner_member)
    page = client.get(project.get_absolute_url())
    assert "Stratification model alpha" in page.content.decode()
    client.force_login(outsider)
    page = client.get(project.get_absolute_url())
    assert "Stratification model alpha" not in page.content.decode()


def test_the_analysis_page_is_404_to_an_outsider_and_downloads_to_a_partner(
    client, project, partner_member, outsider
):
    version = AnalysisVersionFactory(analysis=AnalysisFactory(project=project))
    detail = reverse("analyses:detail", kwargs={"pk": version.analysis_id})
    client.force_login(outsider)
    assert client.get(detail).status_code == 404
    assert client.get(version.get_download_url()).status_code == 404
    client.force_login(partner_member)
    assert client.get(detail).status_code == 200
    response = client.get(version.get_download_url())
    assert response.status_code == 200
    assert response["ETag"] == f'"{version.sha256}"'


def test_the_api_shows_only_the_cited_inputs_the_caller_may_see(
    project, partner_org_colleague, coordinator, lead_org
):
    """A partner organisation's member who is no project member sees the consortium dataset
    the version cites, not the draft one (drafts are for the project's editors)."""
    named = DatasetFactory(
        project=project,
        steward_organisation=lead_org,
        access_tier=AccessTier.CONSORTIUM,
    )
    draft = DatasetFactory(project=project, steward_organisation=lead_org, status="draft")
    version = AnalysisVersionFactory(analysis=AnalysisFactory(project=project))
    version.datasets.set([named, draft])
    as_partner = client_for(partner_org_colleague).get(f"/api/v1/analysis-versions/{version.pk}/")
    as_coordinator = client_for(coordinator).get(f"/api/v1/analysis-versions/{version.pk}/")
    assert as_partner.json()["datasets"] == [str(named.pk)]
    assert sorted(as_coordinator.json()["datasets"]) == sorted([str(named.pk), str(draft.pk)])


def test_an_outsider_finds_no_consortium_analysis_in_the_api(project, outsider):
    AnalysisFactory(project=project)
    body = client_for(outsider).get("/api/v1/analyses/").json()
    assert body["results"] == []
