"""Someone joined to an organisation by their address's domain is told so on their first home
page, with the next steps as links; nobody else is."""

import re

import pytest
from django.urls import reverse

from apps.organisations.models import OrganisationDomain
from tests.organisations.factories import OrganisationFactory

PASSWORD = "plum-orchard-42-lantern"


def sign_up_and_confirm(client, mailoutbox, email: str):
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Siobhán",
            "last_name": "Ó Ceallaigh",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    link = re.search(r"https?://\S+/accounts/confirm-email/(\S+)/", mailoutbox[-1].body)
    return client.post(reverse("account_confirm_email", args=[link.group(1)]), follow=True)


@pytest.fixture
def northbridge(db):
    organisation = OrganisationFactory(name="University of Northbridge")
    OrganisationDomain.objects.create(organisation=organisation, domain="northbridge.ac.uk")
    return organisation


@pytest.mark.django_db
def test_the_first_home_page_after_joining_by_domain_welcomes_with_next_steps(
    client, mailoutbox, northbridge
):
    response = sign_up_and_confirm(client, mailoutbox, "s.oceallaigh@northbridge.ac.uk")
    html = response.content.decode()
    assert response.request["PATH_INFO"] == reverse("home")
    assert "You have joined University of Northbridge" in html
    assert "northbridge.ac.uk" in html
    assert f'href="{reverse("organisations:profile", args=[northbridge.slug])}"' in html
    for name in ["projects:catalogue", "projects:propose", "accounts:profile"]:
        assert f'href="{reverse(name)}"' in html, name
    assert "Welcome, Siobhán" in html

    again = client.get(reverse("home")).content.decode()
    assert "You have joined" not in again


@pytest.mark.django_db
def test_someone_at_an_unknown_domain_gets_no_welcome_to_an_organisation(
    client, mailoutbox, northbridge
):
    response = sign_up_and_confirm(client, mailoutbox, "someone@elsewhere.example")
    assert "Welcome, Siobhán" in response.content.decode()
    assert "You have joined" not in response.content.decode()
