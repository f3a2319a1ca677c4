"""The project-page sections and home-page sections contributed by datasets and documents."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from apps.access.policy import can
from apps.datasets import dashboard
from apps.datasets.project_sections import datasets as datasets_section
from apps.documents.models import ProtocolVersion
from apps.documents.project_sections import protocols as protocols_section
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory


def render_section(template, context, project):
    return render_to_string(template, {**context, "project": project})


def test_datasets_section_lists_only_visible_datasets(
    project, outsider, partner_member, consortium_dataset, draft_dataset
):
    for_member = datasets_section(project=project, user=partner_member, request=None)
    assert {d.title for d in for_member["datasets"]} == {
        consortium_dataset.title,
        draft_dataset.title,
    }
    assert for_member["can_contribute"] is True
    for_outsider = datasets_section(project=project, user=outsider, request=None)
    assert for_outsider["datasets"] == [] and for_outsider["total"] == 0
    html = render_section("datasets/_project_datasets.html", for_outsider, project)
    assert consortium_dataset.title not in html
    assert "Add a dataset" not in html


def test_protocols_section_shows_the_approved_version(project, partner_member, coordinator):
    protocol = ProtocolFactory(project=project, title="Spirometry SOP")
    ProtocolVersionFactory(protocol=protocol, status=ProtocolVersion.Status.APPROVED)
    ProtocolVersionFactory(protocol=protocol)
    context = protocols_section(project=project, user=partner_member, request=None)
    html = render_section("documents/_project_protocols.html", context, project)
    assert "Spirometry SOP" in html and "Version 1" in html
    assert reverse("documents:create", kwargs={"project_pk": project.pk}) in html


def test_dashboard_lists_drafts_for_editors_only(
    partner_member, partner_org_colleague, draft_dataset
):
    section = dashboard.draft_datasets(partner_member)
    assert [item.label for item in section.items] == [draft_dataset.title]
    assert dashboard.draft_datasets(partner_org_colleague) is None


def test_dashboard_lists_versions_awaiting_the_coordinator(project, coordinator, partner_member):
    version = ProtocolVersionFactory(protocol=ProtocolFactory(project=project))
    section = dashboard.protocol_versions_to_approve(coordinator)
    assert section.items[0].label.endswith(f"version {version.number}")
    assert dashboard.protocol_versions_to_approve(partner_member) is None


def test_dataset_page_offers_request_access_when_the_policy_allows(
    client, partner_member, controlled_dataset
):
    try:
        allowed = can(partner_member, "request_access", controlled_dataset)
    except LookupError:
        pytest.skip("the access engineer's request_access rule is not registered")
    client.force_login(partner_member)
    html = client.get(
        reverse("datasets:detail", kwargs={"pk": controlled_dataset.pk})
    ).content.decode()
    assert ("Request access" in html) is allowed
    assert allowed
