"""Invitations: single use, expiring, hashed, revocable; clear errors on the acceptance page."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.notifications.models import EventType, Notification
from apps.organisations.models import Affiliation, AffiliationRole, Invitation, OrganisationStatus
from apps.organisations.services import (
    InvitationError,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(partner_org, org_admin):
    def make(email="invitee@example.org", role=AffiliationRole.MEMBER):
        return invitation_create(organisation=partner_org, actor=org_admin, email=email, role=role)

    return make


def _url(token):
    return reverse("organisations:invitation_accept", args=[token])


def test_only_the_hash_of_the_token_is_stored(invite):
    invitation, token = invite()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert len(token) >= 40


def test_accepting_affiliates_with_the_invited_role(invite, partner_org):
    _invitation, token = invite(role=AffiliationRole.ADMIN)
    person = UserFactory(email="invitee@example.org")
    affiliation = invitation_accept(token=token, user=person)
    assert (affiliation.organisation, affiliation.role) == (partner_org, AffiliationRole.ADMIN)


def test_an_invitation_works_once(invite):
    _invitation, token = invite()
    person = UserFactory(email="invitee@example.org")
    invitation_accept(token=token, user=person)
    with pytest.raises(InvitationError) as caught:
        invitation_accept(token=token, user=person)
    assert caught.value.code == InvitationError.USED


def test_an_expired_invitation_is_refused(invite):
    _invitation, token = invite()
    person = UserFactory(email="invitee@example.org")
    with (
        time_machine.travel(timezone.now() + timedelta(days=15)),
        pytest.raises(InvitationError) as caught,
    ):
        invitation_accept(token=token, user=person)
    assert caught.value.code == InvitationError.EXPIRED
    assert not Affiliation.objects.filter(user=person).exists()


def test_a_revoked_invitation_is_refused(invite, org_admin):
    invitation, token = invite()
    invitation_revoke(invitation=invitation, actor=org_admin)
    with pytest.raises(InvitationError) as caught:
        invitation_accept(token=token, user=UserFactory(email="invitee@example.org"))
    assert caught.value.code == InvitationError.REVOKED


def test_a_new_invitation_replaces_the_open_one(invite):
    first, first_token = invite()
    _second, second_token = invite()
    first.refresh_from_db()
    assert first.revoked_at is not None
    person = UserFactory(email="invitee@example.org")
    with pytest.raises(InvitationError):
        invitation_accept(token=first_token, user=person)
    invitation_accept(token=second_token, user=person)


def test_another_account_cannot_use_the_invitation(invite, outsider):
    _invitation, token = invite()
    with pytest.raises(InvitationError) as caught:
        invitation_accept(token=token, user=outsider)
    assert caught.value.code == InvitationError.WRONG_ACCOUNT


def test_a_verified_secondary_address_may_accept(invite):
    _invitation, token = invite()
    person = UserFactory(email="main@elsewhere.test")
    EmailAddress.objects.create(user=person, email="invitee@example.org", verified=True)
    invitation_accept(token=token, user=person)


def test_a_suspended_organisation_cannot_invite_or_be_joined(invite, partner_org):
    _invitation, token = invite()
    partner_org.status = OrganisationStatus.SUSPENDED
    partner_org.save()
    with pytest.raises(InvitationError) as caught:
        invitation_accept(token=token, user=UserFactory(email="invitee@example.org"))
    assert caught.value.code == InvitationError.ORGANISATION_UNAVAILABLE
    with pytest.raises(ValidationError):
        invite(email="second@example.org")


def test_an_existing_account_also_gets_an_in_app_notice_without_the_token(invite):
    person = UserFactory(email="invitee@example.org")
    _invitation, token = invite()
    notice = Notification.objects.get(recipient=person, event_type=EventType.INVITATION)
    assert token not in notice.url and token not in notice.body


# --- The acceptance page --------------------------------------------------------------------


def test_a_visitor_sees_what_the_invitation_is_for_and_how_to_sign_in(client, invite, partner_org):
    _invitation, token = invite()
    response = client.get(_url(token))
    assert response.status_code == 200
    content = response.content.decode()
    assert partner_org.name in content and "Create an account" in content


def test_the_invited_person_accepts_on_the_page(login, invite, partner_org):
    _invitation, token = invite()
    person = UserFactory(email="invitee@example.org")
    response = login(person).post(_url(token))
    assert response.status_code == 302 and response.url == reverse(
        "organisations:profile", args=[partner_org.slug]
    )
    assert Affiliation.objects.active().filter(user=person, organisation=partner_org).exists()


def test_a_visitor_cannot_accept_by_posting(client, invite):
    _invitation, token = invite()
    client.post(_url(token))
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize(
    ("situation", "status", "phrase"),
    [
        ("expired", 410, "This invitation has expired"),
        ("used", 410, "already used"),
        ("revoked", 410, "withdrawn"),
        ("wrong_account", 403, "is for another account"),
        ("invalid", 404, "not valid"),
    ],
)
def test_the_page_explains_why_an_invitation_cannot_be_used(
    login, invite, org_admin, outsider, situation, status, phrase
):
    invitation, token = invite()
    person = UserFactory(email="invitee@example.org")
    user = person
    if situation == "expired":
        invitation.expires_at = timezone.now() - timedelta(minutes=1)
        invitation.save()
    elif situation == "used":
        invitation_accept(token=token, user=person)
    elif situation == "revoked":
        invitation_revoke(invitation=invitation, actor=org_admin)
    elif situation == "wrong_account":
        user = outsider
    elif situation == "invalid":
        token = "x" + token[1:]
    client = login(user)
    response = client.get(_url(token))
    assert response.status_code == status
    assert phrase in response.content.decode()
    # Posting gives the same answer and changes nothing.
    assert client.post(_url(token)).status_code == status
    assert (
        Affiliation.objects.filter(user=outsider, organisation=invitation.organisation).count() == 0
    )


def test_a_mail_server_failure_keeps_the_invitation_and_is_logged(
    invite, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from apps.organisations.services import invitations

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(invitations, "send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _token = invite()
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    assert "Could not e-mail an invitation" in caplog.text
