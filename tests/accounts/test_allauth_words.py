"""allauth's pages speak Stratum's words: locale/en_GB/LC_MESSAGES/django.po, compiled to .mo."""

import ast
import gettext
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.urls import reverse

from tests.accounts.factories import UserFactory

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en_GB" / "LC_MESSAGES"


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file (our file keeps each string on one quoted line)."""
    entries, msgid = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            msgid = ast.literal_eval(line[len("msgid ") :])
        elif line.startswith("msgstr ") and msgid:
            entries[msgid] = ast.literal_eval(line[len("msgstr ") :])
    return entries


def test_the_compiled_catalogue_says_what_the_po_file_says():
    entries = po_entries(CATALOGUE / "django.po")
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    assert entries, "the catalogue has no entries"
    stale = {msgid for msgid, msgstr in entries.items() if translations.gettext(msgid) != msgstr}
    assert stale == set(), "run msgfmt as the .po file's header says"


@pytest.mark.django_db
def test_after_sign_up_the_page_says_check_your_e_mail_in_sentence_case(client):
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Tomasz",
            "last_name": "Wójcik",
            "email": "tomasz@example.org",
            "password1": "plum-orchard-42-lantern",
            "password2": "plum-orchard-42-lantern",
        },
    )
    html = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "<h1" in html
    assert "Check your e-mail" in html
    assert "Verify Your Email Address" not in html


@pytest.mark.django_db
def test_the_confirmation_page_asks_in_plain_words_without_repeating_the_address(client):
    person = UserFactory(email="lena@example.org", first_name="Lena", last_name="Berg")
    address, _ = EmailAddress.objects.update_or_create(
        user=person, email=person.email, defaults={"verified": False}
    )
    key = EmailConfirmationHMAC(address).key
    html = client.get(reverse("account_confirm_email", args=[key])).content.decode()
    assert "Confirm your e-mail address" in html
    assert "Confirm that lena@example.org is your address" in html
    assert "is an email address for user" not in html


@pytest.mark.django_db
def test_the_password_prompt_before_a_security_change_says_why_it_asks(client):
    client.force_login(UserFactory())
    html = client.get(reverse("account_reauthenticate")).content.decode()
    assert "Confirm it is you" in html
    assert "You are about to change how you sign in" in html
    assert "Confirm Access" not in html
