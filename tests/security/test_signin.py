"""Sign-in hardening: 429 on the sixth failure, the admin sign-in goes through allauth, and
sign-ins, failures and admin actions are audited (failures within limits)."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sites.models import Site
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.security import services
from tests.accounts.factories import UserFactory
from tests.security.conftest import current_code, enrol_totp

pytestmark = pytest.mark.django_db


def sign_in(client, email, password, url=None):
    return client.post(url or reverse("account_login"), {"login": email, "password": password})


def test_the_sixth_failed_sign_in_within_five_minutes_answers_429(client, partner_member):
    for _ in range(5):
        response = sign_in(client, partner_member.email, "wrong-password-1")
        assert response.status_code == 200
    response = sign_in(client, partner_member.email, "wrong-password-1")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_limit_also_refuses_the_right_password_for_that_account(
    client, partner_member, password
):
    for _ in range(5):
        sign_in(client, partner_member.email, "wrong-password-1")
    assert sign_in(client, partner_member.email, password).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_limit_is_per_account(client, partner_member, outsider, password):
    for _ in range(5):
        sign_in(client, partner_member.email, "wrong-password-1")
    assert sign_in(client, outsider.email, password).status_code == 302


def test_the_admin_sign_in_redirects_to_allauth_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_the_admin_sign_in_refuses_an_outside_next(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


def test_posting_to_the_admin_sign_in_never_signs_in(client, staff, password):
    response = client.post("/admin/login/", {"username": staff.email, "password": password})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_sixth_failed_admin_sign_in_answers_429(client, staff):
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    for _ in range(5):
        assert sign_in(client, staff.email, "wrong-password-1", login_url).status_code == 200
    assert sign_in(client, staff.email, "wrong-password-1", login_url).status_code == 429


def test_staff_reach_the_admin_only_through_the_second_factor(client, staff, password, settings):
    settings.STRATUM_MFA_ENFORCED = True
    secret = enrol_totp(staff)
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    response = sign_in(client, staff.email, password, login_url)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_successful_sign_in_is_audited(client, partner_member, password):
    sign_in(client, partner_member.email, password)
    event = AuditEvent.objects.get(action="signin.succeeded")
    assert event.actor_id == partner_member.pk
    assert event.target_id == str(partner_member.pk)


def test_a_failed_sign_in_is_audited_for_known_and_unknown_accounts(client, partner_member):
    sign_in(client, partner_member.email, "wrong-password-1")
    sign_in(client, "nobody@example.org", "wrong-password-1")
    events = AuditEvent.objects.filter(action="signin.failed").order_by("id")
    assert [(e.target_id, e.target_repr) for e in events] == [
        (str(partner_member.pk), str(partner_member)),
        ("", "nobody@example.org"),
    ]
    assert all(e.actor_id is None for e in events)


def test_failed_sign_in_audit_events_are_capped_so_the_log_cannot_be_flooded(rf):
    request = rf.post("/accounts/login/", REMOTE_ADDR="203.0.113.9")
    for _ in range(services.FAILED_SIGNIN_AUDIT_LIMIT + 15):
        services.signin_failed_record(login="target@example.org", user=None, request=request)
    assert AuditEvent.objects.filter(action="signin.failed").count() == (
        services.FAILED_SIGNIN_AUDIT_LIMIT
    )


def test_admin_actions_are_audited_with_the_changed_object(staff):
    person = UserFactory(email="edited@example.org")
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[person],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["First name"]}}],
        single_object=True,
    )
    event = AuditEvent.objects.get(action="admin.change")
    assert (event.actor_id, event.target_type, event.target_id) == (
        staff.pk,
        "accounts.user",
        str(person.pk),
    )
    assert event.details == {"change_message": "Changed First name."}


def test_a_change_through_the_admin_writes_an_audit_event(client, staff):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    site = Site.objects.get_current()
    response = client.post(
        reverse("admin:sites_site_change", args=[site.pk]),
        {"domain": "stratum.example", "name": "Stratum"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="admin.change", target_type="sites.site", target_id=str(site.pk)
    ).exists()
