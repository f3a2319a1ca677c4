import pytest
from django.urls import reverse

from apps.core import dashboard
from apps.core.dashboard import DashboardItem, DashboardSection, register_section


@pytest.fixture
def isolated_registry(monkeypatch):
    """Tests register their own sections without leaking them into other tests. The apps'
    sections are discovered into the real registry first: discovering only into the copy
    would mark discovery done and leave the real registry empty for every later test."""
    dashboard.discover()
    monkeypatch.setattr(dashboard, "_providers", list(dashboard._providers))
    return dashboard


@pytest.mark.django_db
def test_visitor_sees_what_stratum_is_and_a_link_to_the_public_catalogue(client):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "precompetitive stratified-medicine consortia" in html
    assert (
        '<a class="btn btn-primary btn-lg" href="/projects/">Browse the public catalogue</a>'
        in html
    )
    assert reverse("account_signup") in html
    assert "/notifications/" not in html


@pytest.mark.django_db
def test_visitor_navigation_offers_sign_in_and_the_catalogue_only(client):
    html = client.get(reverse("home")).content.decode()
    assert 'href="/projects/">Projects</a>' in html
    assert "My access" not in html
    assert "Staff console" not in html


@pytest.mark.django_db
def test_signed_in_member_sees_their_navigation_but_not_staff_tools(client, partner_member):
    client.force_login(partner_member)
    html = client.get(reverse("home")).content.decode()
    for label in ("Organisations", "My access", "Notifications", "API tokens", "Sign out"):
        assert label in html
    assert "Staff console" not in html
    assert reverse("admin:index") not in html


@pytest.mark.django_db
def test_staff_see_the_staff_console_and_admin(client, staff):
    client.force_login(staff)
    html = client.get(reverse("home")).content.decode()
    assert 'href="/organisations/staff/">Staff console</a>' in html
    assert f'href="{reverse("admin:index")}">Admin</a>' in html


@pytest.mark.django_db
def test_unread_notification_count_shows_when_a_context_value_provides_it(rf, partner_member):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = partner_member
    html = render_to_string(
        "core/home.html", {"unread_notifications_count": 3, "user": partner_member}, request
    )
    assert '3<span class="visually-hidden"> unread</span>' in html


@pytest.mark.django_db
def test_signed_in_home_shows_registered_sections_in_order(
    client, partner_member, isolated_registry
):
    @register_section(order=1)
    def first(user):
        return DashboardSection(
            title="Requests awaiting your decision",
            items=[DashboardItem(label="RESPIRE genotypes", url="/access/1/", meta="Due 1 Dec")],
            more_url="/access/reviews/",
        )

    @register_section(order=2)
    def second(user):
        return {"title": "Milestones due", "items": [], "empty": "No milestones are due."}

    @register_section(order=3)
    def not_for_this_person(user):
        return None

    client.force_login(partner_member)
    html = client.get(reverse("home")).content.decode()

    assert html.index("Requests awaiting your decision") < html.index("Milestones due")
    assert '<a href="/access/1/">RESPIRE genotypes</a>' in html
    assert "Due 1 Dec" in html
    assert "No milestones are due." in html
    assert 'href="/access/reviews/"' in html


@pytest.mark.django_db
def test_registering_the_same_provider_twice_lists_it_once(isolated_registry):
    def section(user):
        return None

    register_section(order=5)(section)
    register_section(order=5)(section)

    keys = [key for _order, key, _provider in isolated_registry._providers]
    assert len(keys) == len(set(keys))


@pytest.mark.django_db
def test_person_without_an_organisation_is_told_to_join_one(client, unaffiliated):
    client.force_login(unaffiliated)
    html = client.get(reverse("home")).content.decode()
    assert "Join your organisation" in html
    assert "Find or register your organisation" in html


@pytest.mark.django_db
def test_affiliated_member_is_not_nagged_to_join_an_organisation(client, partner_member):
    client.force_login(partner_member)
    html = client.get(reverse("home")).content.decode()
    assert "Join your organisation" not in html


@pytest.mark.django_db
def test_home_page_query_count_is_bounded(client, partner_member, django_assert_max_num_queries):
    client.force_login(partner_member)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("home"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_home_page_itself_adds_no_queries_beyond_its_sections(
    client, partner_member, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(dashboard, "_providers", [])
    monkeypatch.setattr(dashboard, "_discovered", True)
    client.force_login(partner_member)
    # Session and user, the header's unread count, and the session save (SESSION_SAVE_EVERY_
    # REQUEST) wrapped in a savepoint: nothing for the page itself.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("home"))
    assert "Nothing needs you right now." in response.content.decode()


@pytest.mark.django_db
def test_staff_are_not_asked_to_join_an_organisation(client, staff):
    client.force_login(staff)
    assert "Join your organisation" not in client.get(reverse("home")).content.decode()
