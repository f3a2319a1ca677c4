import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.organisations.models import OrganisationStatus
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory

PROFILE_URL = "/account/profile/"
VALID = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "job_title": "Research fellow",
    "orcid": "0000-0002-1825-0097",
    "time_zone": "Europe/Paris",
}


def test_profile_url_is_where_the_navigation_points():
    assert reverse("accounts:profile") == PROFILE_URL


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_person_sees_their_profile_and_current_affiliations(client, partner_member, partner_org):
    ended = OrganisationFactory(name="Old Employer Ltd")
    AffiliationFactory(user=partner_member, organisation=ended, ended_at="2025-01-01T00:00Z")
    client.force_login(partner_member)

    response = client.get(PROFILE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Pat"' in html
    assert partner_org.name in html
    assert "Old Employer Ltd" not in html


@pytest.mark.django_db
def test_person_without_an_organisation_is_told_how_to_get_one(client, unaffiliated):
    client.force_login(unaffiliated)
    response = client.get(PROFILE_URL)
    assert "You are not affiliated to any organisation yet." in response.content.decode()


@pytest.mark.django_db
def test_pending_organisation_shows_its_status_in_words(client, unaffiliated):
    pending = OrganisationFactory(name="Newco", status=OrganisationStatus.PENDING)
    AffiliationFactory(user=unaffiliated, organisation=pending)
    client.force_login(unaffiliated)
    html = client.get(PROFILE_URL).content.decode()
    assert '<span class="badge status-badge tone-warning">Awaiting approval' in html


@pytest.mark.django_db
def test_saving_a_valid_profile_updates_it_and_records_an_audit_event(client, unaffiliated):
    client.force_login(unaffiliated)

    response = client.post(PROFILE_URL, VALID, follow=True)

    unaffiliated.refresh_from_db()
    assert response.redirect_chain == [(PROFILE_URL, 302)]
    assert "Your profile has been saved." in response.content.decode()
    assert (unaffiliated.first_name, unaffiliated.orcid) == ("Ada", "0000-0002-1825-0097")
    assert unaffiliated.time_zone == "Europe/Paris"
    event = AuditEvent.objects.get(action="account.profile_update")
    assert sorted(event.details["fields"]) == sorted(VALID)


@pytest.mark.django_db
def test_an_orcid_pasted_as_a_link_with_a_lowercase_x_is_accepted(client, unaffiliated):
    client.force_login(unaffiliated)
    client.post(PROFILE_URL, {**VALID, "orcid": " https://orcid.org/0000-0002-9079-593x "})
    unaffiliated.refresh_from_db()
    assert unaffiliated.orcid == "0000-0002-9079-593X"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("orcid", "message"),
    [
        ("0000-0002-1825-0098", "check digit is wrong"),
        ("0000-0002-1825", "Enter an ORCID iD like 0000-0002-1825-0097."),
    ],
)
def test_a_bad_orcid_is_refused_with_a_clear_error_and_nothing_is_saved(
    client, unaffiliated, orcid, message
):
    original_name = unaffiliated.first_name
    client.force_login(unaffiliated)

    response = client.post(PROFILE_URL, {**VALID, "orcid": orcid})

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert '<a href="#id_orcid" class="alert-link">' in html
    assert f'value="{orcid}"' in html  # what was typed is kept for correction
    unaffiliated.refresh_from_db()
    assert unaffiliated.first_name == original_name
    assert unaffiliated.orcid == ""
    assert not AuditEvent.objects.filter(action="account.profile_update").exists()


@pytest.mark.django_db
def test_names_are_required_and_an_unknown_time_zone_is_refused(client, unaffiliated):
    client.force_login(unaffiliated)
    response = client.post(
        PROFILE_URL, {**VALID, "first_name": "", "time_zone": "Mars/Olympus_Mons"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_first_name" class="alert-link">This field is required.</a>' in html
    assert "Select a valid choice." in html


@pytest.mark.django_db
def test_a_rejected_edit_does_not_change_the_name_in_the_header(client):
    user = UserFactory(first_name="Grace", last_name="Hopper")
    client.force_login(user)
    response = client.post(PROFILE_URL, {**VALID, "first_name": "Mallory", "orcid": "bad"})
    html = response.content.decode()
    assert "Account menu for </span>Grace Hopper" in html


@pytest.mark.django_db
def test_saving_an_unchanged_profile_writes_no_audit_event(client):
    user = UserFactory(**VALID)
    client.force_login(user)
    client.post(PROFILE_URL, VALID)
    assert not AuditEvent.objects.filter(action="account.profile_update").exists()
