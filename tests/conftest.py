"""Personas shared by every test module (healthchecks' alice/bob/charlie, RTD's owner/other).

One consortium world: a pharma-led project with a university partner; an outsider from a
diagnostics firm that is not a partner; a person with no organisation; portal staff.
"""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection

from apps.access import facts as access_facts_module
from apps.core.guard import system_reads
from apps.organisations.models import AffiliationRole, OrganisationKind
from apps.projects.models import MembershipRole, PartnerRole
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import MembershipFactory, PartnerFactory, ProjectFactory

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path):
    """Rate limits and cached values never leak between tests."""
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _test_code_reads_as_system():
    """Test code (factories, assertions) inspects rows directly. What it asks of the portal
    through a client is guarded again per request by ReadGuardMiddleware, and the guard's own
    tests step out with `person_reads()`."""
    with system_reads("test code inspects rows directly"):
        yield


@pytest.fixture
def password():
    return DEFAULT_PASSWORD


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@stratum.test", is_staff=True, is_superuser=True)


@pytest.fixture
def lead_org(db):
    return OrganisationFactory(name="Pharmacorp", kind=OrganisationKind.PHARMA)


@pytest.fixture
def partner_org(db):
    return OrganisationFactory(name="University of Example", kind=OrganisationKind.UNIVERSITY)


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Diagnostix", kind=OrganisationKind.DIAGNOSTICS)


@pytest.fixture
def project(db, lead_org, partner_org):
    project = ProjectFactory(title="Respiratory stratification", acronym="RESPIRE")
    PartnerFactory(project=project, organisation=lead_org, role=PartnerRole.LEAD)
    PartnerFactory(project=project, organisation=partner_org, role=PartnerRole.PARTNER)
    return project


@pytest.fixture
def coordinator(db, project, lead_org):
    user = UserFactory(email="coordinator@pharmacorp.test", first_name="Cora", last_name="Lead")
    AffiliationFactory(user=user, organisation=lead_org, role=AffiliationRole.ADMIN)
    MembershipFactory(
        project=project, user=user, organisation=lead_org, role=MembershipRole.COORDINATOR
    )
    return user


@pytest.fixture
def partner_member(db, project, partner_org):
    user = UserFactory(email="researcher@example.ac.uk", first_name="Pat", last_name="Partner")
    AffiliationFactory(user=user, organisation=partner_org)
    MembershipFactory(project=project, user=user, organisation=partner_org)
    return user


@pytest.fixture
def partner_org_colleague(db, partner_org):
    """Affiliated to a partner organisation but not a project member."""
    user = UserFactory(email="colleague@example.ac.uk")
    AffiliationFactory(user=user, organisation=partner_org)
    return user


@pytest.fixture
def outsider(db, other_org):
    user = UserFactory(email="outsider@diagnostix.test", first_name="Otto", last_name="Side")
    AffiliationFactory(user=user, organisation=other_org)
    return user


@pytest.fixture
def unaffiliated(db):
    return UserFactory(email="nobody@gmail.test")


# --- Browser ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _playwright_browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-gpu",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server, settings):
    # Links in e-mails use the public URL; in a browser test that is the live server.
    settings.SITE_URL = live_server.url
    context = _playwright_browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def postgres_and_redis():
    """PostgreSQL with the Redis cache (emptied by `_isolated_cache`), and no person's facts in
    this process's memory: what the tests of the versioned caches need (issue 16). Skips
    without them, and fails instead under REQUIRE_SERVICES=1."""
    backend = settings.CACHES["default"]["BACKEND"].lower()
    if connection.vendor != "postgresql" or "redis" not in backend:
        missing = "needs PostgreSQL and the Redis cache"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    access_facts_module.forget_local_memory()
    yield
    access_facts_module.forget_local_memory()
