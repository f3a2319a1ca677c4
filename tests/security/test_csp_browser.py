"""Acceptance 4: the main pages work in a real browser under the strict CSP, with no
violation reported and no error in the console."""

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import DEFAULT_PASSWORD
from tests.datasets.factories import DatasetFactory, DatasetFileFactory

# Runs before any page script and outside the page's CSP, so it sees every violation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + e.blockedURI);
});
"""


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"),
    )
    return problems


def _visit(page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, (url, response and response.status)
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    problems.extend(f"{url}: {v}" for v in violations)


@pytest.mark.browser
def test_the_main_pages_work_with_zero_csp_violations(
    page, transactional_db, project, partner_member
):
    dataset = DatasetFactory(project=project, title="Sputum transcriptomics")
    DatasetFileFactory(dataset=dataset, file_name="sputum.csv")
    problems = _watch(page)

    _visit(page, "/accounts/login/", problems)
    page.get_by_label("Email", exact=True).fill(partner_member.email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    for url in [
        "/",
        "/projects/",
        project.get_absolute_url(),
        "/datasets/",
        dataset.get_absolute_url(),
        "/notifications/",
        "/account/security/",
    ]:
        _visit(page, url, problems)
    # The site-wide scripts loaded from static/ under the policy.
    assert page.evaluate("typeof htmx") == "object"
    assert problems == []

    # The watcher itself works: an injected inline script is blocked and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.x") is None
    assert "script-src" in page.evaluate("window.__cspViolations[0]")
