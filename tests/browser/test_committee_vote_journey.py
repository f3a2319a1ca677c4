"""#18 acceptance 1 in a real browser: a committee of four decides by majority with a quorum of
three; the member from the requester's university sees no purpose and no vote buttons, and the
server refuses their vote; two approvals and one rejection decide the request; each vote and
the decision are audited exactly once."""

import pytest
from playwright.sync_api import expect

from apps.access.models import AccessGrant, RequestStatus
from apps.audit.models import AuditEvent
from tests.access.committee_world import (  # noqa: F401  (the voting committee's fixtures)
    charity_org,
    submitted,
    voting_committee,
)
from tests.access.conftest import (  # noqa: F401  (the access world's fixtures)
    asthma,
    committee,
    controlled_dataset,
    duo_terms,
    nhs_org,
    request_data,
    respiratory,
)
from tests.browser.test_access_journey import _sign_in

PURPOSE = "Validate an eosinophil signature in asthma."


def _vote(page, url: str, choice: str, reason: str) -> None:
    page.goto(url)
    expect(page.get_by_text(PURPOSE)).to_be_visible()
    page.get_by_label(choice, exact=True).check()
    page.get_by_label("Reason for your vote").fill(reason)
    page.get_by_role("button", name="Record my vote").click()
    expect(page.get_by_text("Your vote is recorded.")).to_be_visible()


@pytest.mark.browser
def test_majority_of_four_with_quorum_three_and_a_conflicted_member(
    page,
    transactional_db,
    submitted,  # noqa: F811
    voting_committee,  # noqa: F811
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _, m = voting_committee
    url = f"/access/requests/{submitted.pk}/"
    assert submitted.status == RequestStatus.IN_REVIEW

    # The university member: a conflict, so no purpose and no vote buttons…
    _sign_in(page, m["conflicted"].email)
    page.goto(url)
    expect(
        page.get_by_text("hidden from you because you have a conflict of interest")
    ).to_be_visible()
    expect(page.get_by_text(PURPOSE)).to_have_count(0)
    expect(page.get_by_role("button", name="Record my vote")).to_have_count(0)
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    # …and a vote posted by hand is refused by the server.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"{url}vote/",
        form={"choice": "approve", "reason": "Trying anyway."},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )
    assert refused.status == 403

    # Two approvals: below the quorum of three, so still in review.
    _sign_in(page, m["chair"].email)
    _vote(page, url, "Approve", "Within the DS condition; ethics in place.")
    _sign_in(page, m["pharma"].email)
    _vote(page, url, "Approve", "Sound statistical plan.")
    expect(page.locator(".status-badge").first).to_have_text("In review")
    expect(page.get_by_text("2 approved, 0 rejected, 0 abstained, of 3 members")).to_be_visible()

    # The third vote, a rejection, meets the quorum: two of three approve, so it is approved.
    _sign_in(page, m["charity"].email)
    _vote(page, url, "Reject", "The cohort is too small for this question.")
    expect(page.locator(".status-badge").first).to_have_text("Approved")
    expect(page.get_by_text("The cohort is too small for this question.")).to_be_visible()

    events = AuditEvent.objects.filter(target_id=str(submitted.pk))
    assert events.filter(action="request.vote").count() == 3
    assert sorted(
        events.filter(action="request.vote").values_list("actor__email", flat=True)
    ) == sorted([m["chair"].email, m["pharma"].email, m["charity"].email])
    assert events.filter(action__in=["request.approve", "request.reject"]).count() == 1
    assert AccessGrant.objects.filter(request=submitted).count() == 1
    assert problems == []
