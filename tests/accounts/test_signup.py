import pytest
from django.conf import settings
from django.urls import reverse

from apps.accounts.models import User
from tests.accounts.factories import UserFactory

STRONG_PASSWORD = "plum-orchard-42-lantern"


def signup(client, email, password=STRONG_PASSWORD, password2=None, **extra):
    data = {
        "first_name": "Ngozi",
        "last_name": "Okonkwo-Baptiste",
        "email": email,
        "password1": password,
        "password2": password2 or password,
        **extra,
    }
    return client.post(reverse("account_signup"), data)


@pytest.mark.django_db
def test_signup_page_renders_in_the_site_layout_with_labelled_fields(client):
    response = client.get(reverse("account_signup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a class="skip-link" href="#main">' in html
    assert '<label class="form-label fw-semibold" for="id_email">' in html
    assert '<label class="form-label fw-semibold" for="id_password1">' in html


@pytest.mark.django_db
def test_signup_with_a_valid_email_and_strong_password_sends_a_verification_email(
    client, mailoutbox
):
    response = signup(client, "new.person@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email="new.person@example.org").exists()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.org"]


@pytest.mark.django_db
def test_signup_with_an_invalid_email_shows_the_error_beside_the_field_and_in_the_summary(
    client,
):
    response = signup(client, "not-an-email")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-error-summary" in html
    assert '<a href="#id_email" class="alert-link">Enter a valid email address.</a>' in html
    assert 'id="id_email_error"' in html
    assert 'aria-describedby="id_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.filter(email="not-an-email").exists()


@pytest.mark.django_db
def test_signup_with_an_email_already_in_use_says_so_and_sends_nothing(client, mailoutbox):
    UserFactory(email="taken@example.org")
    response = signup(client, "Taken@Example.org")
    assert response.status_code == 200
    assert "An account already uses this e-mail address." in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert mailoutbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4815162342108", "This password is entirely numeric."),
    ],
)
def test_signup_with_a_weak_password_explains_what_is_wrong(client, password, message):
    response = signup(client, "weak@example.org", password)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "data-error-summary" in html
    assert not User.objects.filter(email="weak@example.org").exists()


@pytest.mark.django_db
def test_signup_with_mismatched_passwords_says_so(client):
    response = signup(client, "typo@example.org", STRONG_PASSWORD, STRONG_PASSWORD + "x")
    assert "You must type the same password each time." in response.content.decode()
    assert not User.objects.filter(email="typo@example.org").exists()


@pytest.mark.django_db
def test_the_verification_email_names_stratum_and_carries_the_link(client, mailoutbox):
    signup(client, "new.person@example.org")
    message = mailoutbox[0]
    assert message.subject == "[Stratum] Confirm your e-mail address"
    assert message.body.startswith("Hello from Stratum,")
    assert "example.com" not in message.body
    assert f"{settings.SITE_URL}/accounts/confirm-email/" in message.body


@pytest.mark.django_db
def test_signup_asks_for_given_and_family_names_before_the_address(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert html.index('for="id_first_name"') < html.index('for="id_email"')
    assert ">Given name" in html
    assert ">Family name" in html
    assert 'autocomplete="given-name"' in html
    assert 'autocomplete="family-name"' in html
    assert "ORCID iD (optional)" in html


@pytest.mark.django_db
def test_signup_keeps_the_names_as_written_and_a_pasted_orcid_link_as_the_bare_id(client):
    response = signup(
        client,
        "ngozi@example.org",
        first_name="  Ngozi ",
        last_name="Okonkwo-Baptiste",
        orcid="https://orcid.org/0000-0002-1825-0097",
    )
    assert response.status_code == 302
    person = User.objects.get(email="ngozi@example.org")
    assert (person.first_name, person.last_name) == ("Ngozi", "Okonkwo-Baptiste")
    assert person.orcid == "0000-0002-1825-0097"
    assert person.display_name == "Ngozi Okonkwo-Baptiste"


@pytest.mark.django_db
def test_signup_without_a_family_name_is_refused_with_the_error_beside_the_field(client):
    response = signup(client, "nameless@example.org", last_name="")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_last_name_error"' in html
    assert not User.objects.filter(email="nameless@example.org").exists()


@pytest.mark.django_db
def test_signup_with_an_orcid_whose_check_digit_is_wrong_says_so_and_creates_nobody(
    client, mailoutbox
):
    response = signup(client, "orcid@example.org", orcid="0000-0002-1825-0098")
    html = response.content.decode()
    assert response.status_code == 200
    assert "check digit is wrong" in html
    assert not User.objects.filter(email="orcid@example.org").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_an_invitation_link_prefills_the_invited_address_on_sign_up(client):
    html = client.get(reverse("account_signup") + "?email=invited%40example.org").content.decode()
    assert 'value="invited@example.org"' in html
