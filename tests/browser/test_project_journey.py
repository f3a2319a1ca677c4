"""Acceptance 1 of the projects issue in a real browser: a member proposes a project → staff
activate it → the coordinator invites a partner organisation → its admin accepts → the
coordinator adds a person from it → that person finds the project under "My projects"."""

import pytest
from playwright.sync_api import expect

from apps.diseases.models import DiseaseArea
from apps.organisations.models import AffiliationRole, OrganisationKind
from apps.projects.models import Membership, Partner, PartnerStatus, Project, ProjectStatus
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.browser.console import watch_for_errors
from tests.organisations.factories import AffiliationFactory, OrganisationFactory


def _sign_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _people():
    pharma = OrganisationFactory(name="Brightwater Pharma", kind=OrganisationKind.PHARMA)
    university = OrganisationFactory(name="Kelvin University", kind=OrganisationKind.UNIVERSITY)
    proposer = UserFactory(email="cora@brightwater.test", first_name="Cora", last_name="Lead")
    AffiliationFactory(user=proposer, organisation=pharma, role=AffiliationRole.ADMIN)
    admin = UserFactory(email="una@kelvin.ac.uk", first_name="Una", last_name="Admin")
    AffiliationFactory(user=admin, organisation=university, role=AffiliationRole.ADMIN)
    member = UserFactory(email="max@kelvin.ac.uk", first_name="Max", last_name="Member")
    AffiliationFactory(user=member, organisation=university)
    UserFactory(email="staff@stratum.test", is_staff=True, is_superuser=True)
    # Transactional tests flush the seeded taxonomy; put back the one area the journey uses.
    asthma, _ = DiseaseArea.objects.get_or_create(
        slug="asthma", defaults={"name": "Asthma", "icd10_codes": ["J45"]}
    )
    return university, member, asthma


@pytest.mark.browser
def test_project_is_proposed_activated_joined_and_staffed(page, transactional_db):
    problems = watch_for_errors(page)
    university, member, asthma = _people()

    # 1. Cora proposes a project for her organisation.
    _sign_in(page, "cora@brightwater.test")
    page.goto("/projects/propose/")
    page.get_by_label("Title").fill("Airway endotypes in severe asthma")
    page.get_by_label("Acronym").fill("AIRWAYS")
    page.get_by_label("Summary").fill("Stratifying severe asthma by inflammatory endotype.")
    page.get_by_label("Disease areas").select_option(value=str(asthma.pk))
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_label("End date").fill("2030-12-31")
    page.get_by_label("Public").check()
    page.get_by_role("button", name="Propose project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AIRWAYS")
    expect(page.get_by_text("Proposed", exact=True).first).to_be_visible()

    # 2. Staff activate it from the queue.
    _sign_in(page, "staff@stratum.test")
    page.goto("/projects/staff/")
    page.get_by_role("link", name="Activate AIRWAYS").click()
    page.get_by_role("button", name="Activate project").click()
    expect(page.get_by_role("status").or_(page.locator(".alert-success"))).to_contain_text(
        "AIRWAYS is activated"
    )
    assert Project.objects.get(acronym="AIRWAYS").status == ProjectStatus.ACTIVE

    # 3. Cora invites Kelvin University.
    _sign_in(page, "cora@brightwater.test")
    page.goto("/projects/airways/")
    page.get_by_role("link", name="Partners", exact=True).first.click()
    page.get_by_label("Organisation").select_option(label="Kelvin University")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".alert-success")).to_contain_text("Kelvin University is invited")

    # 4. Una, Kelvin's admin, sees the invitation on her home page and accepts.
    _sign_in(page, "una@kelvin.ac.uk")
    expect(page.get_by_text("AIRWAYS invites Kelvin University")).to_be_visible()
    page.goto("/projects/invitations/")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AIRWAYS")
    partner = Partner.objects.get(project__acronym="AIRWAYS", organisation=university)
    assert partner.status == PartnerStatus.ACTIVE

    # 5. Cora adds Max from Kelvin as a contributor.
    _sign_in(page, "cora@brightwater.test")
    page.goto("/projects/airways/members/")
    page.get_by_label("Organisation").select_option(label="Kelvin University")
    page.get_by_label("Their e-mail address").fill("max@kelvin.ac.uk")
    page.get_by_label("Role").select_option(label="Contributor")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator(".alert-success")).to_contain_text("Max Member is now a member")
    assert Membership.objects.filter(user=member, project__acronym="AIRWAYS").exists()

    # 6. Max finds the project under "My projects".
    _sign_in(page, "max@kelvin.ac.uk")
    page.goto("/projects/mine/")
    expect(
        page.get_by_role("link", name="AIRWAYS — Airway endotypes in severe asthma")
    ).to_be_visible()
    page.get_by_role("link", name="AIRWAYS — Airway endotypes in severe asthma").click()
    expect(page.get_by_text("Stratifying severe asthma by inflammatory endotype.")).to_be_visible()
    assert problems == []
