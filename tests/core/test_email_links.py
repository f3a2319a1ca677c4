"""Issue 20, acceptance 2: every link in every e-mail of the demo journeys uses the site's
public URL (SITE_URL, which `make run` sets from PORT) and answers 200 or a sign-in redirect.

The test client reaches the site as "testserver", so a link built from the request's host would
fail the first assertion; each link's path is then opened as a visitor would open it.
"""

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from apps.notifications import outbox
from apps.notifications.models import EventType, OutboxEmail
from apps.notifications.services import notification_emit
from apps.organisations.services.invitations import invitation_create
from tests.accounts.factories import UserFactory

PUBLIC = "http://127.0.0.1:8790"
LINK = re.compile(r"https?://[^\s<>\"')]+")
PASSWORD = "plum-orchard-42-lantern"


def links_in_outbox() -> list[str]:
    found = []
    for message in mail.outbox:
        bodies = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
        for body in bodies:
            found += [link.rstrip(".,") for link in LINK.findall(body)]
        found += LINK.findall(message.extra_headers.get("List-Unsubscribe", ""))
    return sorted(set(found))


def _journeys(client, partner_member, project, lead_org, django_capture_on_commit_callbacks):
    # A newcomer signs up (confirmation), someone forgets a password (reset link).
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Jun",
            "last_name": "Tanaka",
            "email": "jun.tanaka@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    client.post(reverse("account_reset_password"), {"email": partner_member.email})
    # An organisation admin invites a guest.
    admin = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(organisation=lead_org, actor=admin, email="guest@elsewhere.test")
    # A member makes an API token (the security notice), then is notified of a decision.
    client.force_login(partner_member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("tokens:list"), {"name": "Sync", "scopes": ["read"], "expires_days": 30}
        )
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        notification_emit(
            event_type=EventType.REQUEST_DECIDED,
            recipients=[partner_member],
            subject="Your request was approved",
            body="You may now download the files.",
            url=reverse("access:index"),
            target=project,
        )
    for row in OutboxEmail.objects.all():
        outbox.outbox_deliver(outbox_id=row.pk)


@pytest.mark.django_db
def test_every_link_in_the_journeys_e_mails_is_public_and_answers(
    client, settings, partner_member, project, lead_org, django_capture_on_commit_callbacks
):
    settings.SITE_URL = PUBLIC
    _journeys(client, partner_member, project, lead_org, django_capture_on_commit_callbacks)
    subjects = {message.subject for message in mail.outbox}
    assert len(subjects) >= 5, subjects

    links = links_in_outbox()
    assert links, "the e-mails carry no links"
    assert [link for link in links if not link.startswith(PUBLIC + "/")] == []
    for link in links:
        bits = urlsplit(link)
        response = client.get(bits.path + (f"?{bits.query}" if bits.query else ""))
        signs_in = response.status_code == 302 and response["Location"].startswith(
            reverse("account_login")
        )
        assert response.status_code == 200 or signs_in, (link, response.status_code)


def test_make_run_points_e_mail_links_at_its_port():
    root = Path(settings.BASE_DIR)
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8790"], cwd=root, capture_output=True, text=True, check=True
    )
    assert "Links in e-mails start with http://127.0.0.1:8790" in dry_run.stdout
