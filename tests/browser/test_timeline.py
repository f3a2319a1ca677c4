"""Acceptance 5: a 60-milestone timeline renders in Chromium, late ones marked in words."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.milestones.models import MilestoneStatus
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.milestones.factories import MilestoneFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _sixty_milestones(project) -> int:
    """Every fifth one is late (open and past due), the rest spread over two years."""
    today = timezone.localdate()
    late = 0
    for i in range(60):
        due = today + datetime.timedelta(days=(i - 12) * 12)
        status = MilestoneStatus.ACHIEVED if due < today else MilestoneStatus.PLANNED
        if due < today and i % 5 == 0:
            status, late = MilestoneStatus.IN_PROGRESS, late + 1
        MilestoneFactory(
            project=project, title=f"M{i + 1:02d} cohort step {i + 1}", due_date=due, status=status
        )
    return late


@pytest.mark.browser
def test_sixty_milestone_timeline_renders_with_late_ones_marked(
    page, transactional_db, project, coordinator
):
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    late = _sixty_milestones(project)
    assert late >= 2

    _sign_in(page, coordinator.email)
    page.goto(f"/milestones/projects/{project.slug}/")
    timeline = page.locator("svg#milestone-timeline")
    expect(timeline).to_be_visible()
    expect(timeline.locator("g.timeline-row")).to_have_count(60)
    expect(timeline.locator("g.timeline-row[data-late='true']")).to_have_count(late)
    expect(timeline.locator("g[data-late='true'] text.timeline-flag").first).to_contain_text(
        "Late:"
    )
    expect(timeline.locator("text", has_text="Today")).to_have_count(1)
    assert timeline.get_attribute("role") == "img"
    assert f"{late} late" in timeline.locator("desc").text_content()
    # The table says the same in words for every row.
    expect(
        page.get_by_role("table", name=f"Milestones of {project.acronym}").locator("tbody tr")
    ).to_have_count(60)

    box = timeline.bounding_box()
    assert box and box["height"] > 600  # 60 rows really drawn, not collapsed
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "timeline-60-milestones.png"), full_page=True)
    assert problems == []


@pytest.mark.browser
def test_inbox_marks_a_notification_read_in_place_and_updates_the_header(
    page, transactional_db, partner_member
):
    from tests.notifications.factories import NotificationFactory

    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    NotificationFactory(recipient=partner_member, subject="Protocol v3 approved")
    news = NotificationFactory(recipient=partner_member, subject="Dataset published")
    _sign_in(page, partner_member.email)
    page.goto("/notifications/")
    expect(page.locator("#nav-unread-count")).to_contain_text("2")
    row = page.locator(f"#notification-{news.pk}")
    row.get_by_role("button", name="Mark as read").click()
    expect(page.locator("#nav-unread-count")).to_contain_text("1")
    expect(page.locator("#inbox-unread-summary")).to_contain_text("1 unread notification")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row).to_contain_text("Read")
    assert page.url.endswith("/notifications/")  # swapped in place, no navigation
    page.screenshot(path=str(SCREENSHOTS / "inbox-after-mark-read.png"), full_page=True)
    assert problems == []
