import pytest
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from tests.accounts.factories import UserFactory


def current_code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def wrong_code(secret: str) -> str:
    valid = {format_hotp_value(hotp_value(secret, c)) for c in yield_hotp_counters_from_time()}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


@pytest.fixture
def totp_user(db):
    user = UserFactory(email="careful@example.org")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def start_sign_in(client, user, password):
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response["Location"] == reverse("mfa_authenticate")


def sign_in_recently(client, user, password):
    """allauth asks for the password again before two-factor settings change."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_wrong_authenticator_code_gets_a_clear_error_and_no_session(client, totp_user, password):
    user, secret = totp_user
    start_sign_in(client, user, password)

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Incorrect code." in html
    assert 'id="id_code_error"' in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_right_authenticator_code_signs_in(client, totp_user, password):
    user, secret = totp_user
    start_sign_in(client, user, password)

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_activating_totp_with_a_wrong_code_keeps_it_off_and_says_why(client, password):
    user = UserFactory(email="new2fa@example.org")
    sign_in_recently(client, user, password)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert 'class="qr-code' in page.content.decode()

    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(secret)})

    assert "Incorrect code." in response.content.decode()
    assert not user.authenticator_set.exists()


@pytest.mark.django_db
def test_activating_totp_with_the_right_code_turns_it_on(client, password):
    user = UserFactory(email="new2fa@example.org")
    sign_in_recently(client, user, password)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert user.authenticator_set.filter(type="totp").exists()


@pytest.mark.django_db
def test_the_second_step_explains_where_the_code_comes_from_and_offers_a_way_back(
    client, totp_user, password
):
    user, _secret = totp_user
    start_sign_in(client, user, password)
    html = client.get(reverse("mfa_authenticate")).content.decode()
    assert "6-digit code your authenticator app shows now" in html
    assert 'autocomplete="one-time-code"' in html
    assert 'form="logout-from-stage"' in html


@pytest.mark.django_db
def test_a_recovery_code_is_accepted_at_the_second_step(client, totp_user, password):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user, _secret = totp_user
    codes = RecoveryCodes.activate(user).generate_codes()
    start_sign_in(client, user, password)

    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
