"""/account/ is the account's home: every setting, reachable from the user menu."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from tests.accounts.factories import UserFactory

ACCOUNT_PAGES = [
    "accounts:profile",
    "account_email",
    "account_change_password",
    "security:account_security",
    "mfa_index",
    "tokens:list",
    "tokens:webhooks",
    "notifications:preferences",
]


@pytest.mark.django_db
def test_the_account_home_links_every_account_page_and_each_answers(client):
    client.force_login(UserFactory(first_name="Iris", last_name="Okafor"))
    response = client.get(reverse("accounts:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "Your account" in html
    for name in ACCOUNT_PAGES:
        url = reverse(name)
        assert f'href="{url}"' in html, name
        assert client.get(url).status_code == 200, name


@pytest.mark.django_db
def test_the_user_menu_opens_with_the_account_home_and_names_the_person(client):
    client.force_login(UserFactory(first_name="Iris", last_name="Okafor"))
    html = client.get(reverse("home")).content.decode()
    menu = html[html.index('id="account-menu-button"') : html.index("Sign out")]
    assert "Iris Okafor" in menu
    for name in ["accounts:home", "security:account_security", "tokens:webhooks"]:
        assert f'href="{reverse(name)}"' in menu, name


@pytest.mark.django_db
def test_the_account_home_says_what_is_missing_and_whether_two_factor_is_on(client):
    person = UserFactory(job_title="", orcid="")
    client.force_login(person)
    html = client.get(reverse("accounts:home")).content.decode()
    assert "Add your job title and ORCID iD." in html
    assert "Off." in html

    TOTP.activate(person, generate_totp_secret())
    person.job_title = "Statistician"
    person.orcid = "0000-0002-1825-0097"
    person.save()
    html = client.get(reverse("accounts:home")).content.decode()
    assert "Complete." in html
    assert "On." in html


@pytest.mark.django_db
def test_the_account_home_asks_visitors_to_sign_in(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
