"""Every allauth page Stratum uses renders in the site layout, with one <h1> and labelled fields."""

import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.urls import reverse

from tests.accounts.factories import UserFactory


def assert_in_site_layout(response):
    html = response.content.decode()
    assert response.status_code == 200, response
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1, "exactly one page heading"
    assert "{% element" not in html
    # allauth's bare elements would render unstyled <p> fields; ours use Bootstrap classes.
    for control in re.findall(r'<input[^>]+type="(?:email|password|text)"[^>]*>', html):
        assert "form-control" in control, control
    return html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done"],
)
def test_entrance_pages_render_in_the_layout(client, name):
    assert_in_site_layout(client.get(reverse(name)))


@pytest.mark.django_db
def test_a_bad_confirmation_link_explains_itself_in_the_layout(client):
    html = assert_in_site_layout(
        client.get(reverse("account_confirm_email", args=["not-a-real-key"]))
    )
    assert "has expired or has already been used" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["account_email", "account_change_password", "account_logout", "mfa_index"],
)
def test_account_management_pages_render_in_the_layout_with_the_side_menu(client, name):
    client.force_login(UserFactory())
    html = assert_in_site_layout(client.get(reverse(name)))
    if name != "account_logout":
        assert 'aria-label="Account settings"' in html


@pytest.fixture
def two_factor_user(client, password):
    user = UserFactory(email="careful@example.org")
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": password})
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["mfa_deactivate_totp", "mfa_view_recovery_codes", "mfa_generate_recovery_codes"],
)
def test_two_factor_pages_render_in_the_layout(client, two_factor_user, name):
    assert_in_site_layout(client.get(reverse(name)))


@pytest.mark.django_db
def test_password_reset_journey_from_email_to_signing_in_with_the_new_password(client, mailoutbox):
    user = UserFactory(email="forgetful@example.org")
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response["Location"] == reverse("account_reset_password_done")

    # The link is on the public URL (SITE_URL), whatever host the request came in on.
    link = re.search(
        re.escape(settings.SITE_URL) + r"(/accounts/password/reset/key/\S+)", mailoutbox[0].body
    )
    form_page = client.get(link.group(1), follow=True)
    assert_in_site_layout(form_page)
    new_password = "quiet-meadow-97-harbour"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
        follow=True,
    )
    assert_in_site_layout(done)
    assert client.login(email=user.email, password=new_password)


@pytest.mark.django_db
def test_password_change_with_a_wrong_current_password_says_so(client, password):
    client.force_login(UserFactory())
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": "x-new-pass-1234", "password2": "x-new-pass-1234"},
    )
    html = response.content.decode()
    assert "Please type your current password." in html
    assert "data-error-summary" in html
