"""The staff console: the approval queue first; approve, reject, suspend, reinstate."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation, OrganisationStatus
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
CONSOLE = reverse("organisations:staff_console")


def _decide(slug, decision):
    return reverse("organisations:staff_decide", args=[slug, decision])


@pytest.fixture
def pending(db):
    return OrganisationFactory(name="Kelvin Institute", status=OrganisationStatus.PENDING)


def test_the_console_shows_the_approval_queue_oldest_first(login, staff, pending):
    newer = OrganisationFactory(name="Another Lab", status=OrganisationStatus.PENDING)
    response = login(staff).get(CONSOLE)
    assert response.status_code == 200
    assert list(response.context["queue"]) == [pending, newer]
    assert response.context["queue_count"] == 2
    content = response.content.decode()
    assert content.index("Awaiting approval") < content.index("All organisations")


def test_the_console_lists_and_filters_every_organisation(login, staff, pending, partner_org):
    response = login(staff).get(CONSOLE, {"status": "pending"})
    assert list(response.context["page_obj"]) == [pending]
    response = login(staff).get(CONSOLE, {"q": "example"})
    assert list(response.context["page_obj"]) == [partner_org]


def test_the_console_is_for_staff_only(client, login, partner_member, org_admin, pending):
    assert client.get(CONSOLE).status_code == 302
    for user in (partner_member, org_admin):
        assert login(user).get(CONSOLE).status_code == 403
        assert login(user).post(_decide(pending.slug, "approve")).status_code == 403
    pending.refresh_from_db()
    assert pending.status == OrganisationStatus.PENDING


def test_approving_asks_for_confirmation_then_approves(login, staff, pending):
    client = login(staff)
    confirm = client.get(_decide(pending.slug, "approve"))
    assert confirm.status_code == 200 and b"Approve Kelvin Institute" in confirm.content
    pending.refresh_from_db()
    assert pending.status == OrganisationStatus.PENDING
    response = client.post(_decide(pending.slug, "approve"))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == OrganisationStatus.APPROVED


def test_rejecting_without_a_reason_shows_a_form_error(login, staff, pending):
    response = login(staff).post(_decide(pending.slug, "reject"), {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    pending.refresh_from_db()
    assert pending.status == OrganisationStatus.PENDING


def test_rejecting_with_a_reason(login, staff, pending):
    login(staff).post(_decide(pending.slug, "reject"), {"reason": "Duplicate of UCL"})
    pending.refresh_from_db()
    assert (pending.status, pending.status_reason) == (
        OrganisationStatus.REJECTED,
        "Duplicate of UCL",
    )


def test_suspending_cuts_members_off_in_the_same_request_cycle(
    login, staff, partner_org, partner_member
):
    login(staff).post(_decide(partner_org.slug, "suspend"), {"reason": "Breach of terms"})
    assert not Affiliation.objects.active().filter(user=partner_member).exists()
    # The member's next request already sees the organisation as suspended.
    response = login(partner_member).get(reverse("organisations:mine"))
    assert [a.organisation.status for a in response.context["affiliations"]] == ["suspended"]
    event = AuditEvent.objects.get(action="organisation.suspend")
    assert (event.actor, event.reason) == (staff, "Breach of terms")


def test_reinstating_a_suspended_organisation(login, staff, partner_org):
    partner_org.status = OrganisationStatus.SUSPENDED
    partner_org.save()
    login(staff).post(_decide(partner_org.slug, "reinstate"), {"reason": ""})
    partner_org.refresh_from_db()
    assert partner_org.status == OrganisationStatus.APPROVED


def test_a_decision_that_does_not_fit_the_status_is_explained(login, staff, partner_org):
    response = login(staff).post(_decide(partner_org.slug, "approve"), follow=True)
    assert "cannot be changed that way" in response.content.decode()


def test_an_unknown_decision_or_organisation_is_404(login, staff, pending):
    assert login(staff).get(_decide(pending.slug, "delete")).status_code == 404
    assert login(staff).get(_decide("nope", "approve")).status_code == 404


def test_the_console_lists_5000_organisations_in_constant_queries(
    login, staff, django_assert_max_num_queries
):
    from django.utils.text import slugify

    from apps.organisations.models import Organisation

    Organisation.objects.bulk_create(
        Organisation(
            name=f"Org {n:04d}",
            slug=slugify(f"Org {n:04d}"),
            kind="university",
            country="GB",
            status=OrganisationStatus.PENDING if n < 30 else OrganisationStatus.APPROVED,
        )
        for n in range(5000)
    )
    client = login(staff)
    client.get(CONSOLE)
    with django_assert_max_num_queries(14):
        assert client.get(CONSOLE, {"page": 3}).status_code == 200


def test_the_approval_page_shows_what_staff_need_to_decide(login, staff, partner_member):
    from apps.organisations.models import OrganisationDomain, OrganisationKind

    proposed = OrganisationFactory(
        name="Eastvale NHS Foundation Trust",
        kind=OrganisationKind.NHS,
        country="GB",
        ror_id="013meh722",
        ods_code="RGT",
        website="https://eastvale.example",
        status=OrganisationStatus.PENDING,
        proposed_by=partner_member,
    )
    OrganisationDomain.objects.create(organisation=proposed, domain="eastvale.nhs.example")
    html = login(staff).get(_decide(proposed.slug, "approve")).content.decode()
    assert "NHS centre / healthcare provider" in html
    assert "United Kingdom" in html
    assert 'href="https://ror.org/013meh722"' in html
    assert 'href="https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/RGT"' in html
    assert 'href="https://eastvale.example"' in html
    assert "<code>eastvale.nhs.example</code>" in html
    assert partner_member.display_name in html and partner_member.email in html
