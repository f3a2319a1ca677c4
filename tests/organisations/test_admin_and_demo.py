"""Django admin actions, home-page sections and the demo data."""

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.dashboard import sections_for
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    JoinRequest,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
)
from apps.seeding.demo import organisations as demo
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:organisations_organisation_changelist")


def test_the_admin_list_filters_and_searches(login, staff, partner_org, other_org):
    client = login(staff)
    assert (
        client.get(
            CHANGELIST, {"status__exact": "approved", "kind__exact": "university"}
        ).status_code
        == 200
    )
    response = client.get(CHANGELIST, {"q": "Diagnostix"})
    assert list(response.context["cl"].result_list) == [other_org]


def test_the_admin_approve_action_goes_through_the_service(login, staff):
    pending = OrganisationFactory(status=OrganisationStatus.PENDING)
    login(staff).post(CHANGELIST, {"action": "approve", ACTION_CHECKBOX_NAME: [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == OrganisationStatus.APPROVED
    assert AuditEvent.objects.filter(action="organisation.approve", actor=staff).exists()


def test_the_admin_suspend_action_asks_for_a_reason_first(login, staff, partner_org):
    client = login(staff)
    data = {"action": "suspend", ACTION_CHECKBOX_NAME: [partner_org.pk]}
    response = client.post(CHANGELIST, data)
    assert response.status_code == 200 and b"Why suspend" in response.content
    partner_org.refresh_from_db()
    assert partner_org.status == OrganisationStatus.APPROVED
    client.post(CHANGELIST, {**data, "apply": "1", "reason": "Breach"})
    partner_org.refresh_from_db()
    assert (partner_org.status, partner_org.status_reason) == ("suspended", "Breach")


def test_an_admin_edit_is_audited(login, staff, partner_org):
    url = reverse("admin:organisations_organisation_change", args=[partner_org.pk])
    response = login(staff).get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    data.update(
        {
            "name": "Renamed University",
            "country": "GB",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        }
    )
    login(staff).post(url, data)
    partner_org.refresh_from_db()
    assert partner_org.name == "Renamed University"
    assert AuditEvent.objects.filter(action="organisation.admin_change").exists()


def test_non_staff_cannot_open_the_admin(login, org_admin):
    response = login(org_admin).get(CHANGELIST)
    assert response.status_code == 302


# --- Home page sections ---------------------------------------------------------------------


def _titles(user):
    return [section["title"] for section in sections_for(user)]


def test_staff_see_the_approval_queue_first(staff):
    OrganisationFactory(name="Kelvin Institute", status=OrganisationStatus.PENDING)
    sections = sections_for(staff)
    assert sections[0]["title"] == "Organisations awaiting approval"
    assert sections[0]["items"][0]["label"] == "Kelvin Institute"


def test_admins_see_requests_to_join(org_admin, unaffiliated, partner_org, partner_member):
    JoinRequest.objects.create(user=unaffiliated, organisation=partner_org)
    section = next(s for s in sections_for(org_admin) if s["title"].startswith("Requests to join"))
    assert unaffiliated.display_name in section["items"][0]["label"]
    assert "Requests to join your organisations" not in _titles(partner_member)
    assert "Organisations awaiting approval" not in _titles(org_admin)


# --- Demo -----------------------------------------------------------------------------------


def test_the_demo_has_every_kind_with_an_admin_each_and_is_idempotent():
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    organisations = Organisation.objects.all()
    assert organisations.count() == len(demo.DEMO_ORGANISATIONS)
    kinds = set(organisations.values_list("kind", flat=True))
    assert kinds >= {
        OrganisationKind.PHARMA,
        OrganisationKind.DIAGNOSTICS,
        OrganisationKind.UNIVERSITY,
        OrganisationKind.NHS,
        OrganisationKind.REGULATOR,
        OrganisationKind.FUNDER,
        OrganisationKind.HEALTH_INFORMATICS,
        OrganisationKind.HEALTH_ECONOMICS,
        OrganisationKind.CHARITY,
    }
    assert Organisation.objects.get(name="Brightwater Pharma").is_approved
    assert Organisation.objects.get(name="Helix Diagnostics").is_approved
    for organisation in organisations:
        assert organisation.affiliations.filter(role=AffiliationRole.ADMIN).count() == 1
    demo_member = Affiliation.objects.get(user__email="demo@stratum.test")
    assert demo_member.organisation.kind == OrganisationKind.UNIVERSITY
    assert Affiliation.objects.count() == 2 * len(demo.DEMO_ORGANISATIONS) + 1


def test_people_see_invitations_addressed_to_them(unaffiliated, partner_org, org_admin):
    from apps.organisations.services import invitation_create

    assert "Invitations to join an organisation" not in _titles(unaffiliated)
    invitation_create(organisation=partner_org, actor=org_admin, email=unaffiliated.email)
    section = next(s for s in sections_for(unaffiliated) if s["title"].startswith("Invitations"))
    assert section["items"][0]["label"] == "Join University of Example as member"


def test_the_admin_stores_ror_ids_and_domains_in_canonical_form(login, staff):
    url = reverse("admin:organisations_organisation_add")
    data = {
        "name": "Canonical Lab",
        "slug": "canonical-lab",
        "kind": "university",
        "country": "GB",
        "ror_id": "02JX3X895",
        "domains-TOTAL_FORMS": "1",
        "domains-INITIAL_FORMS": "0",
        "domains-0-domain": "Canonical.AC.uk",
        "affiliations-TOTAL_FORMS": "0",
        "affiliations-INITIAL_FORMS": "0",
    }
    response = login(staff).post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation = Organisation.objects.get(slug="canonical-lab")
    assert organisation.ror_id == "02jx3x895"
    assert [d.domain for d in organisation.domains.all()] == ["canonical.ac.uk"]
    assert AuditEvent.objects.filter(action="organisation.admin_create").exists()
