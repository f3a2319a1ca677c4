"""The organisation admins' pages: members, invitations, join requests, domains, profile.

Every page and action: admins (and staff) may; a plain member gets 403; anyone from another
organisation gets 404, exactly as for an organisation that does not exist; visitors are sent
to sign in; bad input shows form errors and changes nothing.
"""

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.audit.models import AuditEvent
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Invitation,
    JoinRequest,
    OrganisationDomain,
)
from apps.organisations.services import invitation_create, join_request_create
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def things(partner_org, org_admin, partner_member, unaffiliated):
    """One of each row the admin pages act on, all belonging to partner_org."""
    invitation, _token = invitation_create(
        organisation=partner_org, actor=org_admin, email="invitee@example.ac.uk"
    )
    return {
        "affiliation": Affiliation.objects.get(user=partner_member, organisation=partner_org),
        "invitation": invitation,
        "join_request": join_request_create(user=unaffiliated, organisation=partner_org),
        "domain": OrganisationDomain.objects.create(organisation=partner_org, domain="ex.ac.uk"),
    }


def _urls(slug, things):
    return [
        reverse("organisations:manage", args=[slug]),
        reverse("organisations:manage_members", args=[slug]),
        reverse("organisations:manage_profile", args=[slug]),
        reverse("organisations:manage_invitations", args=[slug]),
        reverse("organisations:manage_join_requests", args=[slug]),
        reverse("organisations:manage_domains", args=[slug]),
        reverse("organisations:member_action", args=[slug, things["affiliation"].pk, "promote"]),
        reverse("organisations:member_action", args=[slug, things["affiliation"].pk, "remove"]),
        reverse("organisations:invitation_revoke", args=[slug, things["invitation"].pk]),
        reverse(
            "organisations:join_request_decide", args=[slug, things["join_request"].pk, "reject"]
        ),
        reverse("organisations:domain_remove", args=[slug, things["domain"].pk]),
    ]


def test_admins_and_staff_open_every_management_page(login, partner_org, org_admin, staff, things):
    for user in (org_admin, staff):
        client = login(user)
        for url in _urls(partner_org.slug, things):
            assert client.get(url).status_code == 200, (user, url)


def test_visitors_are_sent_to_sign_in(login, partner_org, things):
    client = login(None)
    for url in _urls(partner_org.slug, things):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
        assert client.post(url).status_code == 302


def test_people_from_another_organisation_get_404_on_every_page_and_action(
    login, partner_org, outsider, things
):
    client = login(outsider)
    for url in _urls(partner_org.slug, things):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, {"email": "x@y.test", "role": "member", "reason": "r"}).status_code
            == 404
        ), url
    assert Invitation.objects.filter(organisation=partner_org).count() == 1
    assert Affiliation.objects.current().filter(organisation=partner_org).count() == 2
    things["invitation"].refresh_from_db()
    assert things["invitation"].revoked_at is None


def test_a_plain_member_gets_403_on_every_page_and_action(
    login, partner_org, partner_org_colleague, things
):
    client = login(partner_org_colleague)
    for url in _urls(partner_org.slug, things):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "r"}).status_code == 403, url
    assert not Affiliation.objects.filter(
        role=AffiliationRole.ADMIN, user=partner_org_colleague
    ).exists()


def test_an_admin_cannot_reach_another_organisations_rows_through_their_own_slug(
    login, partner_org, other_org, org_admin, outsider
):
    """Ids are looked up inside the organisation in the URL: other ids are simply not found."""
    foreign = Affiliation.objects.get(user=outsider, organisation=other_org)
    url = reverse("organisations:member_action", args=[partner_org.slug, foreign.pk, "remove"])
    client = login(org_admin)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.ended_at is None


def test_the_member_list_shows_only_this_organisations_people(
    login, partner_org, org_admin, partner_member, outsider
):
    response = login(org_admin).get(
        reverse("organisations:manage_members", args=[partner_org.slug])
    )
    emails = [a.user.email for a in response.context["page_obj"]]
    assert partner_member.email in emails and outsider.email not in emails


def test_promote_then_demote_a_member(login, partner_org, org_admin, partner_member):
    affiliation = Affiliation.objects.get(user=partner_member)
    client = login(org_admin)
    url = reverse("organisations:member_action", args=[partner_org.slug, affiliation.pk, "promote"])
    response = client.post(url)
    assert response.status_code == 302
    affiliation.refresh_from_db()
    assert affiliation.role == AffiliationRole.ADMIN
    client.post(
        reverse("organisations:member_action", args=[partner_org.slug, affiliation.pk, "demote"])
    )
    affiliation.refresh_from_db()
    assert affiliation.role == AffiliationRole.MEMBER


def test_removing_a_member_asks_first_then_ends_the_affiliation(
    login, partner_org, org_admin, partner_member
):
    affiliation = Affiliation.objects.get(user=partner_member)
    client = login(org_admin)
    url = reverse("organisations:member_action", args=[partner_org.slug, affiliation.pk, "remove"])
    confirm = client.get(url)
    assert b"Remove Pat Partner" in confirm.content
    affiliation.refresh_from_db()
    assert affiliation.ended_at is None
    client.post(url)
    affiliation.refresh_from_db()
    assert affiliation.ended_at is not None


def test_the_last_admin_removing_themself_gets_a_clear_message(login, partner_org, org_admin):
    affiliation = Affiliation.objects.get(user=org_admin)
    client = login(org_admin)
    url = reverse("organisations:member_action", args=[partner_org.slug, affiliation.pk, "remove"])
    response = client.post(url, follow=True)
    assert "only admin" in response.content.decode()
    affiliation.refresh_from_db()
    assert affiliation.ended_at is None


def test_an_unknown_member_action_is_404(login, partner_org, org_admin, partner_member):
    affiliation = Affiliation.objects.get(user=partner_member)
    url = reverse("organisations:member_action", args=[partner_org.slug, affiliation.pk, "delete"])
    assert login(org_admin).post(url).status_code == 404


def test_an_admin_invites_someone_by_email(login, partner_org, org_admin):
    client = login(org_admin)
    url = reverse("organisations:manage_invitations", args=[partner_org.slug])
    response = client.post(url, {"email": "New.Person@Example.ac.uk", "role": "member"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new.person@example.ac.uk")
    assert invitation.invited_by == org_admin
    assert AuditEvent.objects.filter(action="invitation.create", target_id=invitation.pk).exists()


def test_the_invitation_email_is_sent_after_commit(
    login, partner_org, org_admin, django_capture_on_commit_callbacks
):
    client = login(org_admin)
    url = reverse("organisations:manage_invitations", args=[partner_org.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "new@example.ac.uk", "role": "admin"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.ac.uk"]
    assert "/organisations/invitations/" in mail.outbox[0].body


def test_an_invalid_invitation_shows_form_errors_and_sends_nothing(login, partner_org, org_admin):
    client = login(org_admin)
    url = reverse("organisations:manage_invitations", args=[partner_org.slug])
    response = client.post(url, {"email": "not-an-address", "role": "boss"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "role"}
    assert not Invitation.objects.exists()


def test_inviting_a_current_member_is_refused_on_the_form(
    login, partner_org, org_admin, partner_member
):
    url = reverse("organisations:manage_invitations", args=[partner_org.slug])
    response = login(org_admin).post(url, {"email": partner_member.email, "role": "member"})
    assert "already a member" in str(response.context["form"].errors["email"])


def test_an_admin_withdraws_an_invitation(login, partner_org, org_admin, things):
    invitation = things["invitation"]
    url = reverse("organisations:invitation_revoke", args=[partner_org.slug, invitation.pk])
    login(org_admin).post(url)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_an_admin_approves_a_join_request(login, partner_org, org_admin, unaffiliated, things):
    url = reverse(
        "organisations:join_request_decide",
        args=[partner_org.slug, things["join_request"].pk, "approve"],
    )
    login(org_admin).post(url)
    assert Affiliation.objects.active().get(user=unaffiliated).organisation == partner_org


def test_an_admin_declines_a_join_request_with_a_reason(login, partner_org, org_admin, things):
    url = reverse(
        "organisations:join_request_decide",
        args=[partner_org.slug, things["join_request"].pk, "reject"],
    )
    login(org_admin).post(url, {"reason": "Please use your university address"})
    join_request = JoinRequest.objects.get(pk=things["join_request"].pk)
    assert join_request.status == JoinRequest.Status.REJECTED
    assert join_request.reason == "Please use your university address"


def test_an_admin_adds_and_removes_an_email_domain(login, partner_org, org_admin):
    client = login(org_admin)
    client.post(
        reverse("organisations:manage_domains", args=[partner_org.slug]),
        {"domain": "@Example.AC.uk"},
    )
    domain = OrganisationDomain.objects.get(organisation=partner_org)
    assert domain.domain == "example.ac.uk"
    client.post(reverse("organisations:domain_remove", args=[partner_org.slug, domain.pk]))
    assert not OrganisationDomain.objects.filter(organisation=partner_org).exists()


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("gmail.com", "shared by many"),
        ("not a domain", "not an e-mail domain"),
        ("taken.ac.uk", "already claimed"),
    ],
)
def test_a_bad_domain_shows_a_form_error(login, partner_org, other_org, org_admin, domain, message):
    OrganisationDomain.objects.create(organisation=other_org, domain="taken.ac.uk")
    response = login(org_admin).post(
        reverse("organisations:manage_domains", args=[partner_org.slug]), {"domain": domain}
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["domain"])
    assert not OrganisationDomain.objects.filter(organisation=partner_org).exists()


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def _profile_data(organisation, **changes):
    data = {
        "name": organisation.name,
        "kind": organisation.kind,
        "country": organisation.country.code,
        "website": "",
        "description": "",
        "ror_id": "",
        "ods_code": "",
        "dspt_status": "",
        "dspt_date": "",
    }
    return {**data, **changes}


def test_an_admin_edits_the_profile_with_a_logo_and_dspt_status(login, partner_org, org_admin):
    url = reverse("organisations:manage_profile", args=[partner_org.slug])
    data = _profile_data(
        partner_org,
        ror_id="https://ror.org/013meh722",
        dspt_status="met",
        dspt_date="2026-06-30",
        logo=_png(),
    )
    response = login(org_admin).post(url, data)
    assert response.status_code == 302
    partner_org.refresh_from_db()
    assert partner_org.ror_id == "013meh722"
    assert partner_org.dspt_status == "met"
    assert partner_org.logo.name.startswith("logos/")
    event = AuditEvent.objects.get(action="organisation.update")
    assert set(event.details["changed"]) == {"ror_id", "dspt_status", "dspt_date", "logo"}


def test_bad_profile_input_shows_errors_and_changes_nothing(login, partner_org, org_admin):
    url = reverse("organisations:manage_profile", args=[partner_org.slug])
    bad_logo = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    data = _profile_data(partner_org, name="", ror_id="02jx3x894", dspt_status="met", logo=bad_logo)
    response = login(org_admin).post(url, data)
    assert response.status_code == 200
    assert {"name", "ror_id", "dspt_date", "logo"} <= set(response.context["form"].errors)
    partner_org.refresh_from_db()
    assert partner_org.name == "University of Example" and not partner_org.logo


def test_renaming_to_another_organisations_name_is_refused(
    login, partner_org, other_org, org_admin
):
    url = reverse("organisations:manage_profile", args=[partner_org.slug])
    response = login(org_admin).post(url, _profile_data(partner_org, name="DIAGNOSTIX"))
    assert response.status_code == 200
    assert response.context["form"].errors
    partner_org.refresh_from_db()
    assert partner_org.name == "University of Example"


def test_a_second_admin_added_through_the_factory_can_manage(login, partner_org):
    another = UserFactory()
    AffiliationFactory(user=another, organisation=partner_org, role=AffiliationRole.ADMIN)
    response = login(another).get(reverse("organisations:manage_members", args=[partner_org.slug]))
    assert response.status_code == 200


def test_an_expired_invitation_can_be_sent_again(login, partner_org, org_admin, things):
    from datetime import timedelta

    from django.utils import timezone

    invitation = things["invitation"]
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    url = reverse("organisations:manage_invitations", args=[partner_org.slug])
    client = login(org_admin)
    assert b"Invite again" in client.get(url).content
    client.post(url, {"email": invitation.email, "role": invitation.role})
    assert Invitation.objects.open().filter(email=invitation.email).count() == 1


def test_the_only_admin_is_offered_no_action_the_service_would_refuse(
    client, partner_org, org_admin, partner_member
):
    mine = Affiliation.objects.get(user=org_admin, organisation=partner_org)
    theirs = Affiliation.objects.get(user=partner_member, organisation=partner_org)
    client.force_login(org_admin)

    def offered(url: str) -> str:
        return client.get(url).content.decode()

    members = offered(reverse("organisations:manage_members", args=[partner_org.slug]))
    for action in ("demote", "remove"):
        refused = reverse("organisations:member_action", args=[partner_org.slug, mine.pk, action])
        assert refused not in members, action
    assert "The only admin" in members
    remove_member = reverse(
        "organisations:member_action", args=[partner_org.slug, theirs.pk, "remove"]
    )
    assert remove_member in members
    leave = reverse("organisations:leave", args=[partner_org.slug])
    assert leave not in offered(reverse("organisations:mine"))
    assert leave not in offered(reverse("organisations:profile", args=[partner_org.slug]))

    # With a second admin, stepping down and leaving are offered again.
    theirs.role = AffiliationRole.ADMIN
    theirs.save()
    members = offered(reverse("organisations:manage_members", args=[partner_org.slug]))
    demote = reverse("organisations:member_action", args=[partner_org.slug, mine.pk, "demote"])
    assert demote in members
    assert leave in offered(reverse("organisations:mine"))
    assert leave in offered(reverse("organisations:profile", args=[partner_org.slug]))
