"""WCAG 2.2 AA in a real browser: axe-core (vendored in tests/browser/axe/, MPL-2.0) checks
the portal's main pages, each seen by the persona who uses it, over demo-like data; a keyboard
test checks the skip link, the main navigation and visible focus (DESIGN.md §7, issue 2).

axe is injected with `context.add_init_script`, which runs outside the page's strict CSP (an
inline <script> tag would be blocked); every check first proves axe really loaded.
"""

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from apps.access.models import AccessGrant
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_submit,
    data_use_policy_set,
)
from apps.api.tokens import api_token_create
from apps.audit.services import audit_record
from apps.milestones.models import MilestoneStatus
from apps.organisations.models import OrganisationStatus
from apps.projects.models import Membership, ProjectStatus
from tests.access.conftest import (  # noqa: F401  (the access world's fixtures)
    asthma,
    committee,
    controlled_dataset,
    dac_member,
    duo_terms,
    nhs_org,
    request_data,
    respiratory,
)
from tests.access.factories import ControlledDatasetFactory
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.notifications.factories import NotificationFactory
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import (
    BiomarkerFactory,
    ProjectFactory,
    WorkPackageFactory,
)

AXE_SOURCE = Path(__file__).parent / "axe" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class World:
    project: object
    dataset: object
    open_dataset: object
    protocol: object
    pending_request: object
    requestable: object
    draft_request: object
    grant: object
    milestone: object
    deliverable: object
    membership: object
    lead_org: object
    people: dict


@pytest.fixture
def world(
    transactional_db,
    project,
    lead_org,
    partner_org,
    coordinator,
    partner_member,
    dac_member,  # noqa: F811
    controlled_dataset,  # noqa: F811
    request_data,  # noqa: F811
    staff,
    outsider,
):
    """A consortium as the demo shows it: work packages, biomarkers, a protocol with three
    versions, datasets, a request awaiting the committee, a live grant, milestones,
    deliverables, notifications, an API token and audit events; plus a few public projects
    and a pending organisation and project for the staff queues."""
    project.summary = "Finding the asthma patients who respond to anti-IL-5 treatment."
    project.save()
    for number, title in ((1, "Cohort recruitment"), (2, "Biomarker discovery")):
        WorkPackageFactory(project=project, number=number, title=title)
    BiomarkerFactory(project=project, name="Blood eosinophil count")
    BiomarkerFactory(project=project, name="Sputum periostin")
    protocol = ProtocolFactory(project=project, title="Sputum handling")
    ProtocolVersionFactory(protocol=protocol, status="superseded")
    ProtocolVersionFactory(protocol=protocol, status="approved")
    ProtocolVersionFactory(protocol=protocol)
    open_dataset = DatasetFactory(project=project, title="Spirometry summary")
    DatasetFileFactory(dataset=open_dataset, file_name="spirometry.csv")

    pending = access_request_submit(
        access_request=access_request_create(
            dataset=controlled_dataset,
            requester=partner_member,
            organisation=partner_org,
            data=request_data,
        ),
        actor=partner_member,
    )
    granted_dataset = ControlledDatasetFactory(
        project=project, steward_organisation=lead_org, title="Bronchial biopsy histology"
    )
    data_use_policy_set(dataset=granted_dataset, permission="GRU", modifiers={}, actor=coordinator)
    to_grant = access_request_submit(
        access_request=access_request_create(
            dataset=granted_dataset,
            requester=partner_member,
            organisation=partner_org,
            data={**request_data, "diseases": []},
        ),
        actor=partner_member,
    )
    access_request_approve(access_request=to_grant, actor=dac_member, reason="Within the consent.")

    requestable = ControlledDatasetFactory(
        project=project, steward_organisation=lead_org, title="Nasal epithelium RNA-seq"
    )
    data_use_policy_set(
        dataset=requestable, permission="GRU", modifiers={"NCU": None}, actor=coordinator
    )

    drafted = ControlledDatasetFactory(
        project=project, steward_organisation=lead_org, title="Serum cytokine panel"
    )
    data_use_policy_set(dataset=drafted, permission="GRU", modifiers={}, actor=coordinator)
    draft = access_request_create(
        dataset=drafted, requester=partner_member, organisation=partner_org, data=request_data
    )

    today = timezone.localdate()
    milestone = MilestoneFactory(
        project=project,
        title="First patient in",
        due_date=today.replace(day=1),
        status=MilestoneStatus.ACHIEVED,
    )
    MilestoneFactory(
        project=project, title="Cohort recruited", due_date=today + datetime.timedelta(days=5)
    )
    MilestoneFactory(
        project=project, title="Signature validated", due_date=today - datetime.timedelta(days=3)
    )
    deliverable = DeliverableFactory(project=project, code="D1.1", title="Recruitment report")
    for subject in ("Sputum handling version 3 needs approval", "New dataset published"):
        NotificationFactory(
            recipient=coordinator, subject=subject, url=f"/projects/{project.slug}/"
        )
        NotificationFactory(recipient=partner_member, subject=subject, url="/datasets/")
    api_token_create(user=coordinator, name="Nightly sync", scopes=["read"])
    audit_record(actor=coordinator, action="project.edit", target=project, project_id=project.pk)

    for number in range(3):
        extra = ProjectFactory(
            title=f"Oncology response consortium {number}", acronym=f"ONCO{number}"
        )
        MilestoneFactory(project=extra)
    ProjectFactory(title="Proposed kidney cohort", acronym="KIDNEY", status=ProjectStatus.PROPOSED)
    OrganisationFactory(name="Pending Biotech", status=OrganisationStatus.PENDING)
    return World(
        project=project,
        dataset=controlled_dataset,
        open_dataset=open_dataset,
        protocol=protocol,
        pending_request=pending,
        requestable=requestable,
        draft_request=draft,
        grant=AccessGrant.objects.get(dataset=granted_dataset),
        milestone=milestone,
        deliverable=deliverable,
        membership=Membership.objects.get(project=project, user=partner_member),
        lead_org=lead_org,
        people={
            "coordinator": coordinator,
            "member": partner_member,
            "dac": dac_member,
            "staff": staff,
            "outsider": outsider,
        },
    )


# Each persona's pages: (name, url from the world, what to do before checking). One browser
# test per persona keeps the database set-up to a handful; the failure lists every page.
PAGES = {
    "anonymous": [
        ("home", lambda w: "/", None),
        ("sign-in", lambda w: "/accounts/login/", None),
        ("sign-in with errors", lambda w: "/accounts/login/", "submit"),
        ("sign-up", lambda w: "/accounts/signup/", None),
        ("sign-up with errors", lambda w: "/accounts/signup/", "submit"),
        ("password reset", lambda w: "/accounts/password/reset/", None),
        ("password reset with errors", lambda w: "/accounts/password/reset/", "submit"),
        ("password reset sent", lambda w: "/accounts/password/reset/done/", None),
        ("catalogue", lambda w: "/projects/", None),
        ("project page", lambda w: f"/projects/{w.project.slug}/", None),
        ("public deliverables", lambda w: "/milestones/deliverables/public/", None),
        ("API documentation", lambda w: "/api/docs/", "wait:.opblock"),
        ("API guide", lambda w: "/api/guide/", None),
        ("organisation profile", lambda w: f"/organisations/{w.lead_org.slug}/", None),
        ("not found", lambda w: "/no-such-page/", "404"),
    ],
    "member": [
        ("home", lambda w: "/", None),
        ("account home", lambda w: "/account/", None),
        ("profile", lambda w: "/account/profile/", None),
        ("organisations directory", lambda w: "/organisations/", None),
        ("organisation profile", lambda w: f"/organisations/{w.lead_org.slug}/", None),
        ("my organisations", lambda w: "/organisations/mine/", None),
        ("catalogue with results", lambda w: "/projects/?q=oncology", None),
        ("catalogue without results", lambda w: "/projects/?q=zzzz", None),
        ("project page", lambda w: f"/projects/{w.project.slug}/", None),
        ("dataset list", lambda w: "/datasets/", None),
        ("dataset page", lambda w: f"/datasets/{w.open_dataset.pk}/", None),
        ("access request form", lambda w: f"/access/datasets/{w.requestable.pk}/request/", None),
        (
            "access request form with errors",
            lambda w: f"/access/datasets/{w.requestable.pk}/request/",
            "submit",
        ),
        ("my access", lambda w: "/access/", None),
        ("my requests", lambda w: "/access/requests/", None),
        ("request page", lambda w: f"/access/requests/{w.pending_request.pk}/", None),
        ("my grants", lambda w: "/access/grants/", None),
        ("notifications inbox", lambda w: "/notifications/", None),
        ("disease areas", lambda w: "/disease-areas/", None),
        ("grant page", lambda w: f"/access/grants/{w.grant.pk}/", None),
        ("draft request edit", lambda w: f"/access/requests/{w.draft_request.pk}/edit/", None),
        ("propose an organisation", lambda w: "/organisations/propose/", None),
        ("propose an organisation with errors", lambda w: "/organisations/propose/", "submit"),
        ("propose a project", lambda w: "/projects/propose/", None),
        ("propose a project with errors", lambda w: "/projects/propose/", "submit"),
        ("my projects", lambda w: "/projects/mine/", None),
        ("milestone page", lambda w: f"/milestones/{w.milestone.pk}/", None),
        ("deliverable page", lambda w: f"/milestones/deliverables/{w.deliverable.pk}/", None),
        ("e-mail addresses", lambda w: "/accounts/email/", None),
        ("change password", lambda w: "/accounts/password/change/", None),
        ("change password with errors", lambda w: "/accounts/password/change/", "submit"),
        ("two-factor authentication", lambda w: "/accounts/2fa/", None),
        ("forbidden", lambda w: f"/projects/{w.project.slug}/edit/", "403"),
        ("not found", lambda w: "/no-such-page/", "404"),
    ],
    "outsider": [
        ("home", lambda w: "/", None),
        ("dataset list", lambda w: "/datasets/", None),
        ("my requests, none yet", lambda w: "/access/requests/", None),
        ("my grants, none yet", lambda w: "/access/grants/", None),
        ("my access", lambda w: "/access/", None),
        ("milestones portfolio, none", lambda w: "/milestones/", None),
        ("notifications, none", lambda w: "/notifications/", None),
        ("my projects, none", lambda w: "/projects/mine/", None),
        ("project page, public view", lambda w: f"/projects/{w.project.slug}/", None),
        ("API tokens, none", lambda w: "/account/tokens/", None),
    ],
    "coordinator": [
        ("home", lambda w: "/", None),
        ("project page, every section", lambda w: f"/projects/{w.project.slug}/", None),
        ("project edit", lambda w: f"/projects/{w.project.slug}/edit/", None),
        ("project members", lambda w: f"/projects/{w.project.slug}/members/", None),
        ("project partners", lambda w: f"/projects/{w.project.slug}/partners/", None),
        ("work packages", lambda w: f"/projects/{w.project.slug}/work-packages/", None),
        ("biomarkers", lambda w: f"/projects/{w.project.slug}/biomarkers/", None),
        ("organisation management", lambda w: f"/organisations/{w.lead_org.slug}/manage/", None),
        ("project datasets", lambda w: f"/datasets/project/{w.project.pk}/", None),
        ("dataset page", lambda w: f"/datasets/{w.dataset.pk}/", None),
        ("protocol page with versions", lambda w: f"/protocols/{w.protocol.pk}/", None),
        ("project protocols", lambda w: f"/protocols/project/{w.project.pk}/", None),
        ("project audit log", lambda w: f"/audit/projects/{w.project.slug}/", None),
        ("notifications inbox", lambda w: "/notifications/", None),
        ("notification preferences", lambda w: "/notifications/preferences/", None),
        ("milestones portfolio", lambda w: "/milestones/", None),
        ("milestones timeline", lambda w: f"/milestones/projects/{w.project.slug}/", None),
        ("deliverables", lambda w: f"/milestones/projects/{w.project.slug}/deliverables/", None),
        ("API tokens", lambda w: "/account/tokens/", None),
        ("account security", lambda w: "/account/security/", None),
        ("webhooks", lambda w: "/account/tokens/webhooks/", None),
        ("funders", lambda w: f"/projects/{w.project.slug}/funders/", None),
        ("new dataset with errors", lambda w: f"/datasets/project/{w.project.pk}/new/", "submit"),
        ("dataset edit", lambda w: f"/datasets/{w.open_dataset.pk}/edit/", None),
        ("dataset file upload", lambda w: f"/datasets/{w.open_dataset.pk}/files/upload/", None),
        (
            "dataset file upload, progress shown",
            lambda w: f"/datasets/{w.open_dataset.pk}/files/upload/",
            "show:[data-upload-progress]",
        ),
        ("data-use policy", lambda w: f"/access/datasets/{w.dataset.pk}/policy/", None),
        ("new protocol", lambda w: f"/protocols/project/{w.project.pk}/new/", None),
        ("new protocol version", lambda w: f"/protocols/{w.protocol.pk}/versions/new/", None),
        (
            "approve a protocol version",
            lambda w: f"/protocols/{w.protocol.pk}/versions/3/approve/",
            None,
        ),
        ("new milestone", lambda w: f"/milestones/projects/{w.project.slug}/new/", None),
        (
            "new milestone with errors",
            lambda w: f"/milestones/projects/{w.project.slug}/new/",
            "submit",
        ),
        ("milestone edit", lambda w: f"/milestones/{w.milestone.pk}/edit/", None),
        (
            "new deliverable",
            lambda w: f"/milestones/projects/{w.project.slug}/deliverables/new/",
            None,
        ),
        (
            "organisation profile edit",
            lambda w: f"/organisations/{w.lead_org.slug}/manage/profile/",
            None,
        ),
        (
            "organisation invitations",
            lambda w: f"/organisations/{w.lead_org.slug}/manage/invitations/",
            None,
        ),
        (
            "organisation join requests",
            lambda w: f"/organisations/{w.lead_org.slug}/manage/join-requests/",
            None,
        ),
        (
            "organisation domains",
            lambda w: f"/organisations/{w.lead_org.slug}/manage/domains/",
            None,
        ),
        (
            "end a membership",
            lambda w: f"/projects/{w.project.slug}/members/{w.membership.pk}/end/",
            None,
        ),
        ("committee members", lambda w: f"/access/committee/{w.project.slug}/members/", None),
    ],
    "dac": [
        ("home", lambda w: "/", None),
        ("committee queue", lambda w: f"/access/committee/{w.project.slug}/", None),
        (
            "request page as committee member",
            lambda w: f"/access/requests/{w.pending_request.pk}/",
            None,
        ),
    ],
    "staff": [
        ("home", lambda w: "/", None),
        ("staff console", lambda w: "/organisations/staff/", None),
        ("projects awaiting activation", lambda w: "/projects/staff/", None),
        ("audit log", lambda w: "/audit/", None),
        ("organisation profile", lambda w: f"/organisations/{w.lead_org.slug}/", None),
        ("organisation import", lambda w: "/organisations/staff/import/", None),
        ("two-factor set-up", lambda w: "/accounts/2fa/totp/activate/", None),
        ("two-factor set-up with errors", lambda w: "/accounts/2fa/totp/activate/", "submit"),
        ("confirm your password", lambda w: "/accounts/reauthenticate/", None),
        ("sign out", lambda w: "/accounts/logout/", None),
        ("new disease area", lambda w: "/disease-areas/new/", None),
        ("new disease area with errors", lambda w: "/disease-areas/new/", "submit"),
        ("dataset downloads", lambda w: f"/audit/datasets/{w.dataset.pk}/downloads/", None),
        ("grant page", lambda w: f"/access/grants/{w.grant.pk}/", None),
    ],
}


def _sign_in(page, user) -> None:
    """A signed-in session without typing a password: the session cookie Django's test client
    makes (the sign-in page itself is checked separately)."""
    page.context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": page.context.live_server_url}]
    )


@pytest.fixture
def axe_page(page, live_server):
    page.context.live_server_url = live_server.url
    page.context.add_init_script(path=str(AXE_SOURCE))
    return page


def axe_violations(page) -> list[dict]:
    assert page.evaluate("typeof window.axe?.run") == "function", "axe-core did not load"
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                          html: n.html.slice(0, 200)})),
            }));
        }""",
        WCAG_TAGS,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    {node['target']}  {node['html']}")
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.browser
@pytest.mark.parametrize("persona", list(PAGES))
def test_every_page_of_the_persona_has_no_wcag_violations(axe_page, world, persona):
    page = axe_page
    _sign_in(page, world.people.get(persona))
    failures = []
    for name, url, action in PAGES[persona]:
        address = url(world)
        response = page.goto(address)
        expected = int(action) if action in ("403", "404") else 200
        if response.status != expected:
            failures.append(f"{name} {address}: answered {response.status}")
            continue
        if action == "submit":
            page.locator("main form[method=post] [type=submit]").first.click()
            page.wait_for_load_state()
        elif action and action.startswith("wait:"):
            page.locator(action.removeprefix("wait:")).first.wait_for()
        elif action and action.startswith("show:"):
            page.locator(action.removeprefix("show:")).evaluate("(el) => { el.hidden = false; }")
        # WCAG 2.4.2: every page says what it is before the site's name.
        if not re.match(r"^\S.* · Stratum$|^Stratum API$", page.title()):
            failures.append(f"{name} {address}: the title {page.title()!r} does not name the page")
        violations = axe_violations(page)
        if violations:
            failures.append(f"{name} {address}:\n{describe(violations)}")
    assert not failures, f"{persona}:\n" + "\n".join(failures)


@pytest.mark.browser
def test_axe_really_runs_and_reports_a_planted_violation(axe_page, world):
    """Guards the harness: a silent axe would make every page pass."""
    page = axe_page
    page.goto("/projects/")
    page.evaluate(
        """() => { const img = document.createElement('img'); img.src = '/static/img/favicon.svg';
                   document.querySelector('main').append(img); }"""
    )
    assert "image-alt" in [violation["id"] for violation in axe_violations(page)]


@pytest.mark.browser
def test_keyboard_reaches_the_skip_link_first_and_it_moves_focus_to_main(axe_page, world):
    page = axe_page
    _sign_in(page, world.people["member"])
    page.goto("/projects/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.browser
def test_after_a_failed_submit_focus_moves_to_the_error_summary(axe_page, world):
    page = axe_page
    _sign_in(page, None)
    page.goto("/accounts/signup/")
    page.get_by_label("Given name").fill("Ada")
    page.get_by_label("Family name").fill("Lovelace")
    page.get_by_label("Email", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Create account").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    # Each summary entry is a link to its field, so the keyboard goes straight to the mistake.
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "email"


@pytest.mark.browser
def test_sign_in_and_sign_up_fields_say_what_they_are_for(axe_page, world):
    """WCAG 1.3.5: autocomplete tokens let browsers and password managers fill the fields."""
    page = axe_page
    _sign_in(page, None)
    expected = {
        "/accounts/login/": {"login": "email", "password": "current-password"},
        "/accounts/signup/": {"email": "email", "password1": "new-password"},
        "/accounts/password/reset/": {"email": "email"},
    }
    for url, fields in expected.items():
        page.goto(url)
        for name, token in fields.items():
            assert page.locator(f"main [name={name}]").get_attribute("autocomplete") == token, (
                url,
                name,
            )
    _sign_in(page, world.people["member"])
    page.goto("/account/profile/")
    assert page.locator("[name=first_name]").get_attribute("autocomplete") == "given-name"
    assert page.locator("[name=last_name]").get_attribute("autocomplete") == "family-name"


@pytest.mark.browser
def test_the_main_navigation_works_from_the_keyboard(axe_page, world):
    page = axe_page
    _sign_in(page, world.people["member"])
    page.goto("/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        if reached[-1] == "Projects":
            break
    assert reached[-1] == "Projects", reached
    page.keyboard.press("Enter")
    page.wait_for_url("**/projects/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # The account menu opens from the keyboard and its items are reachable.
    page.goto("/")
    page.locator("#account-menu-button").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Your account"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Profile"
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Your account")).to_be_hidden()


FOCUS_PAGES = [
    "/",
    "/projects/",
    "/access/requests/",
    "/notifications/",
    "/notifications/preferences/",
    "/account/profile/",
    "/datasets/",
]


@pytest.mark.browser
def test_focus_is_visible_on_every_link_and_button(axe_page, world):
    page = axe_page
    _sign_in(page, world.people["member"])
    invisible = []
    for url in FOCUS_PAGES:
        page.goto(url)
        for _ in range(40):
            page.keyboard.press("Tab")
            state = page.evaluate(
                """() => {
                    const el = document.activeElement;
                    if (!el || el === document.body) return null;
                    const style = getComputedStyle(el);
                    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
                    const ringed = style.boxShadow && style.boxShadow !== 'none';
                    return {tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 40),
                            visible: outlined || ringed};
                }"""
            )
            if state is None:
                break
            if not state["visible"]:
                invisible.append(f"{url}: <{state['tag'].lower()}> {state['text']!r}")
    assert not invisible, "No visible focus indicator:\n" + "\n".join(invisible)


# WCAG 1.4.11 (non-text contrast), which axe does not test: a form control's boundary needs
# 3:1 against the page, or a person with low vision cannot find the box to type in.
CONTROL_CONTRAST = """() => {
    const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
    const luminance = ([r, g, b]) => {
        const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const blend = (top, bottom) => {
        const alpha = top.length > 3 ? top[3] : 1;
        return [0, 1, 2].map((i) => top[i] * alpha + bottom[i] * (1 - alpha));
    };
    const background = (el) => {
        for (let node = el.parentElement; node; node = node.parentElement) {
            const colour = rgb(getComputedStyle(node).backgroundColor);
            if (colour.length === 3 || (colour.length > 3 && colour[3] > 0)) return blend(colour, [255, 255, 255]);
        }
        return [255, 255, 255];
    };
    const ratio = (a, b) => {
        const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    };
    const weak = [];
    const selector = 'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea';
    for (const el of document.querySelectorAll(selector)) {
        if (!el.checkVisibility()) continue;
        const style = getComputedStyle(el);
        if (parseFloat(style.borderTopWidth) === 0) continue;
        const page = background(el);
        const border = blend(rgb(style.borderTopColor), page);
        const value = ratio(border, page);
        if (value < 3) weak.push(`${el.tagName.toLowerCase()}[name=${el.name}] ${style.borderTopColor} ${value.toFixed(2)}:1`);
    }
    return weak;
}"""

FORM_PAGES = [
    ("member", lambda w: f"/access/datasets/{w.requestable.pk}/request/"),
    ("member", lambda w: "/account/profile/"),
    ("member", lambda w: "/projects/?q=oncology"),
    ("coordinator", lambda w: "/notifications/preferences/"),
    ("coordinator", lambda w: f"/milestones/projects/{w.project.slug}/new/"),
]


@pytest.mark.browser
def test_form_controls_have_a_boundary_with_3_to_1_contrast(axe_page, world):
    page = axe_page
    weak = []
    for persona, url in FORM_PAGES:
        _sign_in(page, world.people[persona])
        page.goto(url(world))
        weak += [f"{url(world)}: {control}" for control in page.evaluate(CONTROL_CONTRAST)]
    page.context.clear_cookies()
    page.goto("/accounts/signup/")
    weak += [f"/accounts/signup/: {control}" for control in page.evaluate(CONTROL_CONTRAST)]
    assert not weak, "Form controls below 3:1 against the page:\n" + "\n".join(weak)


@pytest.mark.browser
def test_the_open_account_menu_and_the_phone_width_menu_pass_axe(axe_page, world):
    page = axe_page
    _sign_in(page, world.people["coordinator"])
    page.goto("/")
    page.locator("#account-menu-button").click()
    expect(page.get_by_role("link", name="Profile")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, f"account menu:\n{describe(violations)}"

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/projects/")
    page.get_by_role("button", name="Show or hide the menu").click()
    expect(page.get_by_role("link", name="My access")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, f"phone-width menu:\n{describe(violations)}"


# WCAG 1.4.10 (reflow): at 320 CSS pixels wide nothing but a data table scrolls sideways.
REFLOW_PAGES = [
    ("member", lambda w: "/"),
    ("member", lambda w: "/projects/"),
    ("member", lambda w: f"/projects/{w.project.slug}/"),
    ("member", lambda w: f"/datasets/{w.open_dataset.pk}/"),
    ("member", lambda w: f"/access/datasets/{w.requestable.pk}/request/"),
    ("member", lambda w: "/access/requests/"),
    ("member", lambda w: "/notifications/"),
    ("coordinator", lambda w: f"/protocols/{w.protocol.pk}/"),
    ("coordinator", lambda w: f"/milestones/projects/{w.project.slug}/"),
    ("coordinator", lambda w: "/account/tokens/"),
    ("dac", lambda w: f"/access/requests/{w.pending_request.pk}/"),
]


@pytest.mark.browser
def test_pages_reflow_at_320_pixels_without_sideways_scrolling(axe_page, world):
    page = axe_page
    page.set_viewport_size({"width": 320, "height": 640})
    overflowing = []
    for persona, url in REFLOW_PAGES:
        _sign_in(page, world.people[persona])
        page.goto(url(world))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 321:
            culprits = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                    .filter((el) => el.getBoundingClientRect().right > 321
                                    && el.parentElement.getBoundingClientRect().right <= 321)
                    .slice(0, 4).map((el) => el.outerHTML.slice(0, 160))"""
            )
            overflowing.append(f"{url(world)}: {width}px wide; {culprits}")
        violations = axe_violations(page)
        if violations:
            overflowing.append(f"{url(world)} at 320px:\n{describe(violations)}")
    assert not overflowing, "Sideways scrolling at 320px:\n" + "\n".join(overflowing)
