"""Profile, proposal, my organisations, asking to join and leaving."""

import pytest
from django.urls import reverse

from apps.notifications.models import EventType, Notification
from apps.organisations.models import (
    Affiliation,
    JoinRequest,
    Organisation,
    OrganisationDomain,
    OrganisationStatus,
)
from apps.projects.models import PartnerStatus, ProjectStatus
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import PartnerFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _profile(slug):
    return reverse("organisations:profile", args=[slug])


def test_visitors_see_public_facts_and_a_ror_link_but_no_members(
    client, partner_org, partner_member
):
    partner_org.ror_id = "02jx3x895"
    partner_org.save()
    response = client.get(_profile(partner_org.slug))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'href="https://ror.org/02jx3x895"' in content
    assert response.context["members"] is None
    assert partner_member.display_name not in content


def test_members_see_their_colleagues(login, partner_org, partner_member, partner_org_colleague):
    response = login(partner_org_colleague).get(_profile(partner_org.slug))
    assert partner_member in [a.user for a in response.context["members"]]


def test_people_from_another_organisation_do_not_see_the_member_list(
    login, partner_org, partner_member, outsider
):
    response = login(outsider).get(_profile(partner_org.slug))
    assert response.status_code == 200
    assert response.context["members"] is None
    assert partner_member.display_name not in response.content.decode()


def test_the_profile_lists_projects_where_the_organisation_is_an_active_partner(
    client, project, partner_org
):
    left = ProjectFactory(acronym="GONE", status=ProjectStatus.ACTIVE)
    PartnerFactory(project=left, organisation=partner_org, status=PartnerStatus.LEFT)
    response = client.get(_profile(partner_org.slug))
    assert [p.acronym for p in response.context["projects"]] == ["RESPIRE"]


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_an_unapproved_organisation_is_404_for_outsiders_and_visible_to_its_people(
    client, login, outsider, staff, status
):
    organisation = OrganisationFactory(name="Hidden Lab", status=status)
    proposer = Affiliation.objects.create(
        user=outsider.__class__.objects.create_user("p@hidden.test"), organisation=organisation
    ).user
    assert client.get(_profile(organisation.slug)).status_code == 404
    assert login(outsider).get(_profile(organisation.slug)).status_code == 404
    assert login(proposer).get(_profile(organisation.slug)).status_code == 200
    assert login(staff).get(_profile(organisation.slug)).status_code == 200


def test_an_unknown_slug_is_404(client):
    assert client.get(_profile("no-such-organisation")).status_code == 404


# --- Proposing ------------------------------------------------------------------------------

PROPOSAL = {
    "name": "Kelvin Institute",
    "kind": "university",
    "country": "GB",
    "website": "https://kelvin.ac.uk",
    "ror_id": "https://ror.org/013meh722",
    "ods_code": "",
    "domains": "kelvin.ac.uk; med.kelvin.ac.uk",
    "description": "",
}


def test_visitors_are_sent_to_sign_in_before_proposing(client):
    response = client.get(reverse("organisations:propose"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_signed_in_person_proposes_an_organisation_and_staff_are_told(login, unaffiliated, staff):
    response = login(unaffiliated).post(reverse("organisations:propose"), PROPOSAL)
    organisation = Organisation.objects.get(name="Kelvin Institute")
    assert response.status_code == 302 and response.url == _profile(organisation.slug)
    assert organisation.status == OrganisationStatus.PENDING
    assert organisation.ror_id == "013meh722"
    assert sorted(d.domain for d in organisation.domains.all()) == [
        "kelvin.ac.uk",
        "med.kelvin.ac.uk",
    ]
    assert Notification.objects.filter(
        recipient=staff, event_type=EventType.ORGANISATION_PENDING
    ).exists()


def test_an_invalid_proposal_shows_every_error_and_saves_nothing(login, unaffiliated, partner_org):
    OrganisationDomain.objects.create(organisation=partner_org, domain="kelvin.ac.uk")
    data = {
        **PROPOSAL,
        "name": "university of EXAMPLE",
        "kind": "spaceship",
        "country": "XX",
        "ror_id": "02jx3x894",
        "domains": "kelvin.ac.uk gmail.com",
    }
    response = login(unaffiliated).post(reverse("organisations:propose"), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "kind", "country", "ror_id", "domains"}
    assert Organisation.objects.count() == 1


def test_an_empty_proposal_shows_errors(login, unaffiliated):
    response = login(unaffiliated).post(reverse("organisations:propose"), {})
    assert {"name", "kind", "country"} <= set(response.context["form"].errors)


# --- My organisations, joining and leaving --------------------------------------------------


def test_my_organisations_lists_current_affiliations_with_manage_links(
    login, org_admin, partner_org
):
    response = login(org_admin).get(reverse("organisations:mine"))
    assert [a.organisation for a in response.context["affiliations"]] == [partner_org]
    assert (
        reverse("organisations:manage_members", args=[partner_org.slug])
        in response.content.decode()
    )


def test_my_organisations_needs_sign_in(client):
    assert client.get(reverse("organisations:mine")).status_code == 302


def test_asking_to_join_creates_a_pending_request(login, unaffiliated, partner_org):
    url = reverse("organisations:join", args=[partner_org.slug])
    response = login(unaffiliated).post(url, {"message": "I run the sputum assay lab."})
    assert response.status_code == 302
    request = JoinRequest.objects.get(user=unaffiliated)
    assert (request.organisation, request.status) == (partner_org, JoinRequest.Status.PENDING)


def test_asking_twice_shows_a_form_error(login, unaffiliated, partner_org):
    url = reverse("organisations:join", args=[partner_org.slug])
    client = login(unaffiliated)
    client.post(url, {"message": ""})
    response = client.post(url, {"message": ""})
    assert response.status_code == 200
    assert "already waiting" in str(response.context["form"].non_field_errors())


def test_nobody_can_ask_to_join_a_hidden_organisation(login, unaffiliated):
    pending = OrganisationFactory(status=OrganisationStatus.PENDING)
    url = reverse("organisations:join", args=[pending.slug])
    assert login(unaffiliated).post(url, {"message": ""}).status_code == 404


def test_a_person_withdraws_their_own_request_only(login, unaffiliated, outsider, partner_org):
    request = JoinRequest.objects.create(user=unaffiliated, organisation=partner_org)
    url = reverse("organisations:join_withdraw", args=[partner_org.slug, request.pk])
    assert login(outsider).post(url).status_code == 404
    login(unaffiliated).post(url)
    request.refresh_from_db()
    assert request.status == JoinRequest.Status.WITHDRAWN


def test_a_member_leaves_after_confirming(login, partner_org_colleague, partner_org):
    client = login(partner_org_colleague)
    url = reverse("organisations:leave", args=[partner_org.slug])
    assert b"Leave the organisation" in client.get(url).content
    client.post(url)
    assert not Affiliation.objects.current().filter(user=partner_org_colleague).exists()


def test_leaving_an_organisation_you_are_not_in_is_404(login, outsider, partner_org):
    assert (
        login(outsider).post(reverse("organisations:leave", args=[partner_org.slug])).status_code
        == 404
    )


# --- Logo and invitations on "My organisations" ---------------------------------------------


def test_the_logo_is_served_with_the_profile_and_follows_its_visibility(client, login, staff):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format="PNG")
    organisation = OrganisationFactory(name="Logo Lab")
    organisation.logo = SimpleUploadedFile("logo.png", buffer.getvalue())
    organisation.save()
    url = reverse("organisations:logo", args=[organisation.slug])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == buffer.getvalue()
    assert url in client.get(_profile(organisation.slug)).content.decode()
    organisation.status = OrganisationStatus.SUSPENDED
    organisation.save()
    assert client.get(url).status_code == 404
    assert login(staff).get(url).status_code == 200


def test_an_organisation_without_a_logo_answers_404(client, partner_org):
    assert client.get(reverse("organisations:logo", args=[partner_org.slug])).status_code == 404


def test_invitations_to_my_verified_address_are_listed_and_accepted(
    login, partner_org, org_admin, unaffiliated, outsider
):
    from apps.organisations.services import invitation_create

    invitation, _token = invitation_create(
        organisation=partner_org, actor=org_admin, email=unaffiliated.email
    )
    response = login(unaffiliated).get(reverse("organisations:mine"))
    assert list(response.context["invitations"]) == [invitation]
    accept = reverse("organisations:invitation_accept_mine", args=[invitation.pk])
    assert login(outsider).post(accept).status_code == 404
    response = login(unaffiliated).post(accept)
    assert response.status_code == 302
    assert Affiliation.objects.active().get(user=unaffiliated).organisation == partner_org
    assert login(unaffiliated).post(accept).status_code == 404  # used: no longer offered


def test_the_profile_pages_its_members_in_constant_queries(
    login, partner_org, partner_member, project, django_assert_max_num_queries
):
    from tests.organisations.factories import AffiliationFactory

    AffiliationFactory.create_batch(60, organisation=partner_org)
    client = login(partner_member)
    client.get(_profile(partner_org.slug))
    with django_assert_max_num_queries(20):
        response = client.get(_profile(partner_org.slug), {"page": 2})
    assert response.status_code == 200
    assert len(response.context["members"].object_list) == 25
    assert response.context["members"].paginator.count == 61
