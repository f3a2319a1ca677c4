"""The dataset page's access panel and the API's `your_access`: one person walks a controlled
dataset through no access yet → request in review → access granted → access revoked."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.access import duo
from apps.access.selectors import PanelState, dataset_access_panel
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_submit,
    grant_revoke,
)
from tests.api.conftest import client_for

# What must never show on the panel: ids, enum names, a bare integer type.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
RAW = ("NEEDS_DAC", "needs_dac", "(integer)", "in_review", "PanelState")


def panel_html(client, dataset) -> str:
    html = client.get(reverse("datasets:detail", kwargs={"pk": dataset.pk})).content.decode()
    start = html.index('aria-labelledby="your-access-heading"')
    return html[start : html.index("</section>", start)]


def assert_words_only(text: str) -> None:
    assert not UUID.search(text.split('href="')[0])
    visible = re.sub(r'(href|action|data-access-state|value)="[^"]*"', "", text)
    assert not UUID.search(visible)
    for raw in RAW:
        assert raw not in visible


@pytest.fixture
def walk(client, partner_member, partner_org, controlled_dataset, request_data, dac_member):
    client.force_login(partner_member)
    return client


def test_one_person_sees_the_four_states_in_words(
    walk, partner_member, partner_org, controlled_dataset, request_data, dac_member
):
    panel = panel_html(walk, controlled_dataset)
    assert "You do not have access to this dataset’s files yet." in panel
    assert "Respiratory inflammatory disease (J44-J45)" in panel
    assert "Non-commercial use only" in panel
    assert ">Request access</a>" in panel
    assert_words_only(panel)

    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    submitted = access_request_submit(access_request=draft, actor=partner_member)
    panel = panel_html(walk, controlled_dataset)
    assert "Your request is in review by the data access committee since" in panel
    assert reverse("access:request_detail", kwargs={"pk": submitted.pk}) in panel
    assert "Request access" not in panel
    assert_words_only(panel)

    access_request_approve(access_request=submitted, actor=dac_member)
    grant = submitted.grants.get()
    until = duo.day(timezone.localtime(grant.valid_until).date())
    panel = panel_html(walk, controlled_dataset)
    assert f"You have access until {until}." in panel
    assert "Download the files" in panel and "Renew your access" in panel
    assert "Request access" not in panel
    assert_words_only(panel)

    grant_revoke(grant=grant, actor=dac_member, reason="Data shared outside the project")
    panel = panel_html(walk, controlled_dataset)
    assert "Your access was revoked on" in panel
    assert "Reason: Data shared outside the project" in panel
    assert ">Apply again</a>" in panel
    assert_words_only(panel)


def test_the_api_dataset_detail_says_the_same_as_the_panel(
    partner_member, partner_org, controlled_dataset, request_data
):
    api = client_for(partner_member)
    url = f"/api/v1/datasets/{controlled_dataset.pk}/"
    before = api.get(url).json()["your_access"]
    assert before["state"] == PanelState.NO_ACCESS
    assert before["summary"] == "You do not have access to this dataset’s files yet."
    assert before["can_request"] is True
    ds = next(c for c in before["conditions"] if c["term"] == "DS")
    assert ds == {
        "term": "DS",
        "name": "Disease specific research",
        "value": "Respiratory inflammatory disease (J44-J45)",
    }
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    after = api.get(url).json()["your_access"]
    assert after["state"] == PanelState.IN_REVIEW
    assert after["request"] == str(draft.pk)
    assert after["summary"] == dataset_access_panel(partner_member, controlled_dataset).headline
    assert "your_access" not in api.get("/api/v1/datasets/").json()["results"][0]


def test_no_panel_for_anonymous_or_a_consortium_tier_dataset(client, controlled_dataset, project):
    from django.contrib.auth.models import AnonymousUser

    assert dataset_access_panel(AnonymousUser(), controlled_dataset) is None
    controlled_dataset.access_tier = "consortium"
    assert (
        dataset_access_panel(controlled_dataset.created_by or AnonymousUser(), controlled_dataset)
        is None
    )


def test_the_api_gives_verdicts_and_the_declared_use_in_words_but_not_to_the_conflicted(
    partner_member, partner_org, controlled_dataset, request_data, conflicted_member, dac_member
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data={**request_data, "is_methods_development": True},
    )
    access_request_submit(access_request=draft, actor=partner_member)
    url = f"/api/v1/access-requests/{draft.pk}/"
    mine = client_for(partner_member).get(url).json()
    assert mine["check_outcome_display"] == "Passes"
    ds = next(v for v in mine["check_verdicts"] if v["term"] == "DS")
    assert ds["term_display"] == "Disease specific research (DS)"
    assert ds["outcome_display"] == "Passes"
    assert "Asthma (J45)" in ds["reason"]
    display = mine["declared_use"]["display"]
    assert display["diseases"] == ["Asthma (J45)"]
    assert display["research_types"] == ["Research on Asthma (J45)", "Methods development"]
    assert display["obligations"] == [
        "I will make the results available to the wider scientific community."
    ]
    conflicted = client_for(conflicted_member).get(url).json()
    assert conflicted["check_verdicts"] is None and conflicted["declared_use"] is None
    assert conflicted["check_outcome_display"] == "Passes"


def test_the_committee_queue_gives_the_checks_outcome_in_words(
    client, partner_member, partner_org, controlled_dataset, request_data, dac_member
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data={**request_data, "involves_children": True},
    )
    access_request_submit(access_request=draft, actor=partner_member)
    client.force_login(dac_member)
    slug = controlled_dataset.project.slug
    html = client.get(reverse("access:committee_queue", kwargs={"slug": slug})).content.decode()
    assert ">Needs the committee</span>" in html
