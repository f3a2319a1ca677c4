import pytest
from django.urls import reverse

from tests.accounts.factories import UserFactory


def sign_in(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_sign_in_with_the_right_password_goes_home(client, password):
    user = UserFactory(email="alice@example.org")
    response = sign_in(client, user.email, password)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_sign_in_with_a_wrong_password_shows_a_form_error(client):
    user = UserFactory(email="alice@example.org")
    response = sign_in(client, user.email, "not-my-password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in html
    assert "data-error-summary" in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_failed_sign_ins_lock_the_account_out_even_with_the_right_password(
    client, password
):
    user = UserFactory(email="alice@example.org")
    for _attempt in range(5):
        response = sign_in(client, user.email, "guessing-wrong")
        assert "are not correct" in response.content.decode()

    response = sign_in(client, user.email, password)

    # Issue 10, acceptance 3: the sixth try answers 429 with the friendly page.
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lockout_is_per_account_so_others_can_still_sign_in(client, password):
    alice = UserFactory(email="alice@example.org")
    bob = UserFactory(email="bob@example.org")
    for _attempt in range(5):
        sign_in(client, alice.email, "guessing-wrong")

    response = sign_in(client, bob.email, password)

    assert response.status_code == 302


@pytest.mark.django_db
def test_signed_in_person_signs_out_with_a_post_from_the_menu(client, password):
    user = UserFactory(email="alice@example.org")
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert f'<form method="post" action="{reverse("account_logout")}">' in home

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
