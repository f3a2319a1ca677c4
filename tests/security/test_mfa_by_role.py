"""MFA by role: privileged people are sent to enrolment and cannot decide until enrolled."""

import pytest
from django.urls import reverse

from apps.access.models import RequestStatus
from apps.access.policy import Action, can
from apps.audit.models import AuditEvent
from apps.security.mfa import MFA_REQUIRED_MESSAGE, user_needs_mfa_enrolment
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.api.conftest import client_for
from tests.security.conftest import current_code, enrol_totp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_enforced")]


def sign_in(client, user, password):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


@pytest.mark.parametrize("persona", ["staff", "coordinator", "dac_member"])
def test_privileged_people_without_a_second_factor_need_enrolment(request, persona):
    assert user_needs_mfa_enrolment(request.getfixturevalue(persona))


def test_an_organisation_admin_needs_a_second_factor(lead_org):
    from tests.organisations.factories import AffiliationFactory

    admin = UserFactory()
    AffiliationFactory(user=admin, organisation=lead_org, role="admin")
    assert user_needs_mfa_enrolment(admin)


@pytest.mark.parametrize("persona", ["partner_member", "outsider", "unaffiliated"])
def test_people_without_privileges_are_not_asked(request, persona):
    assert not user_needs_mfa_enrolment(request.getfixturevalue(persona))


def test_an_enrolled_coordinator_is_not_asked(coordinator):
    enrol_totp(coordinator)
    assert not user_needs_mfa_enrolment(coordinator)


def test_the_requirement_can_be_switched_off(settings, coordinator):
    settings.STRATUM_MFA_ENFORCED = False
    assert not user_needs_mfa_enrolment(coordinator)


def test_signing_in_without_a_second_factor_leads_to_enrolment(client, coordinator, password):
    response = sign_in(client, coordinator, password)
    home = client.get(response["Location"])
    assert home.status_code == 302
    assert home["Location"].startswith(reverse("mfa_activate_totp"))
    enrolment = client.get(home["Location"], follow=True)
    assert MFA_REQUIRED_MESSAGE in enrolment.content.decode()


def test_an_unprivileged_member_signs_in_without_enrolment(client, partner_member, password):
    sign_in(client, partner_member, password)
    assert client.get(reverse("home")).status_code == 200


def test_the_enrolment_pages_and_sign_out_stay_reachable(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("security:account_security")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302


def test_enrolling_lifts_the_gate_is_audited_and_e_mailed(
    client, coordinator, password, mailoutbox, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    client.force_login(coordinator)
    client.post(reverse("account_reauthenticate"), {"password": password})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(
        action="mfa.add", target_id=str(coordinator.pk), details__type="totp"
    ).exists()
    assert [m.to for m in mailoutbox] == [[coordinator.email]]


def test_htmx_requests_are_redirected_with_an_htmx_header(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


# --- Deciding an access request ---------------------------------------------------------------
def test_a_committee_member_without_mfa_cannot_decide_through_the_site(
    client, dac_member, in_review
):
    assert not can(dac_member, Action.DECIDE, in_review)
    client.force_login(dac_member)
    response = client.post(
        reverse("access:request_decide", args=[in_review.pk]),
        {"decision": "reject", "reason": "Out of scope."},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    in_review.refresh_from_db()
    assert in_review.status == RequestStatus.IN_REVIEW


def test_a_committee_member_without_mfa_cannot_decide_through_the_api(dac_member, in_review):
    response = client_for(dac_member).post(
        f"/api/v1/access-requests/{in_review.pk}/decide/",
        {"decision": "reject", "reason": "Out of scope."},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == MFA_REQUIRED_MESSAGE
    in_review.refresh_from_db()
    assert in_review.status == RequestStatus.IN_REVIEW


def test_once_enrolled_the_committee_member_decides_through_the_site(client, dac_member, in_review):
    enrol_totp(dac_member)
    assert can(dac_member, Action.DECIDE, in_review)
    client.force_login(dac_member)
    response = client.post(
        reverse("access:request_decide", args=[in_review.pk]),
        {"decision": "reject", "reason": "Out of scope."},
    )
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == RequestStatus.REJECTED


def test_once_enrolled_the_committee_member_decides_through_the_api(dac_member, in_review):
    enrol_totp(dac_member)
    response = client_for(dac_member).post(
        f"/api/v1/access-requests/{in_review.pk}/decide/",
        {"decision": "reject", "reason": "Out of scope."},
        format="json",
    )
    assert response.status_code == 200, response.content
    in_review.refresh_from_db()
    assert in_review.status == RequestStatus.REJECTED


# --- Staff reset ---------------------------------------------------------------------------------
@pytest.fixture
def enrolled(db):
    person = UserFactory(email="lostphone@example.org")
    enrol_totp(person)
    return person


def test_staff_reset_a_persons_mfa_with_a_reason_and_an_audit_event(
    client, staff, enrolled, mailoutbox, django_capture_on_commit_callbacks
):
    enrol_totp(staff)
    client.force_login(staff)
    url = reverse("security:mfa_reset", args=[enrolled.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Lost phone; identity checked.", "confirm": "on"})
    assert response.status_code == 302
    assert not enrolled.authenticator_set.exists()
    event = AuditEvent.objects.get(action="mfa.reset", target_id=str(enrolled.pk))
    assert event.actor_id == staff.pk
    assert event.reason == "Lost phone; identity checked."
    assert any("two-factor authentication was reset" in m.subject for m in mailoutbox)


def test_a_reset_without_a_reason_is_refused_and_keeps_the_authenticator(client, staff, enrolled):
    enrol_totp(staff)
    client.force_login(staff)
    response = client.post(reverse("security:mfa_reset", args=[enrolled.pk]), {"confirm": "on"})
    assert response.status_code == 400
    assert enrolled.authenticator_set.exists()


@pytest.mark.parametrize("persona", ["partner_member", "coordinator"])
def test_only_staff_see_the_reset_page(client, request, persona, enrolled):
    user = request.getfixturevalue(persona)
    enrol_totp(user)
    client.force_login(user)
    url = reverse("security:mfa_reset", args=[enrolled.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    assert enrolled.authenticator_set.exists()


def test_the_reset_page_asks_anonymous_people_to_sign_in(client, enrolled):
    response = client.get(reverse("security:mfa_reset", args=[enrolled.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_after_setting_up_two_factor_the_person_is_offered_the_way_back(client, coordinator):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    client.force_login(coordinator)
    asked_from = "/access/requests/?status=submitted"
    response = client.get(asked_from)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))

    enrol_totp(coordinator)
    RecoveryCodes.activate(coordinator)
    # As right after set-up: the password was just confirmed (allauth's reauthentication).
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    page = client.get(reverse("mfa_view_recovery_codes"))
    assert page.status_code == 200, page.get("Location")
    codes = page.content.decode()
    assert "Continue to where you were" in codes
    back = client.get(reverse("security:mfa_continue"))
    assert back.status_code == 302 and back["Location"] == asked_from
    # Used once; an address off this site is never a way back.
    assert client.get(reverse("security:mfa_continue"))["Location"] == reverse("home")
    session = client.session
    session["stratum_mfa_next"] = "https://elsewhere.example/"
    session.save()
    assert client.get(reverse("security:mfa_continue"))["Location"] == reverse("home")
