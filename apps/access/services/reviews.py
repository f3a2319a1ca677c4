"""Reviewers (#18): the committee asks a named person, from any organisation, for a written
review of one request. The reviewer reads that request and its documents only (the policy's
`_asked_reviewer_q`), cannot decide, and is kept out by the same conflict rules: nobody
conflicted on the request can be asked, and one who becomes conflicted loses the purpose."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import AccessRequest, RequestReview
from apps.access.policy import Action, can
from apps.access.policy.committee_work import ASK_REVIEW
from apps.access.policy.requests import request_conflict_q
from apps.access.services.request_base import lock_request, request_audit, request_url
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit


def reviewer_is_conflicted(access_request, reviewer) -> bool:
    """The committee's conflict rule applied to a would-be reviewer (the same Q the policy uses)."""
    return (
        AccessRequest.objects.filter(pk=access_request.pk)
        .filter(request_conflict_q(reviewer))
        .exists()
    )


@transaction.atomic
def request_review_ask(
    *, access_request, reviewer, actor, question: str, request=None
) -> RequestReview:
    locked = lock_request(access_request)
    if not can(actor, ASK_REVIEW, locked):
        raise NotAllowed("You cannot ask for a review of this request.")
    question = (question or "").strip()
    errors = {}
    if not question:
        errors["question"] = "Say what you would like the reviewer to look at."
    if not reviewer.is_active:
        errors["reviewer"] = "This person's account is not active."
    elif reviewer_is_conflicted(locked, reviewer):
        errors["reviewer"] = (
            f"{reviewer} has a conflict of interest on this request (the requester, or from the "
            "requester's organisation); ask someone else."
        )
    elif locked.reviews.filter(reviewer=reviewer).exists():
        errors["reviewer"] = f"{reviewer} has already been asked to review this request."
    if errors:
        raise ValidationError(errors)
    review = RequestReview(request=locked, reviewer=reviewer, asked_by=actor, question=question)
    review.full_clean()
    review.save()
    request_audit(
        locked,
        actor=actor,
        action="request.review.ask",
        request=request,
        from_state=locked.status,
        details={"reviewer": str(reviewer.pk), "review": str(review.pk)},
    )
    notification_emit(
        event_type=EventType.REVIEW_ASKED,
        recipients=[reviewer],
        subject=f"The {locked.dataset.project.acronym} data access committee asks for your review",
        body=question,
        url=request_url(locked),
        target=locked,
        project=None,  # the reviewer may be from outside the project
    )
    return review


@transaction.atomic
def request_review_submit(
    *, review: RequestReview, actor, text: str, request=None
) -> RequestReview:
    """The reviewer's written review, once; the committee is told."""
    locked = RequestReview.objects.select_for_update().get(pk=review.pk)
    if locked.submitted_at is not None:
        raise TransitionError("You have already sent this review.")
    if not can(actor, Action.EDIT, locked):
        raise NotAllowed("You cannot write this review.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"review": "Write your review."})
    locked.review, locked.submitted_at = text, timezone.now()
    locked.full_clean()
    locked.save(update_fields=["review", "submitted_at", "updated_at"])
    access_request = lock_request(locked.request)
    request_audit(
        access_request,
        actor=actor,
        action="request.review.submit",
        request=request,
        from_state=access_request.status,
        actor_role="reviewer",
        details={"review": str(locked.pk)},
    )
    from apps.access.selectors import request_deciders

    notification_emit(
        event_type=EventType.REQUEST_MESSAGE,
        recipients=request_deciders(access_request),
        subject=f"{actor} sent a review of an access request for {access_request.dataset.title}",
        url=request_url(access_request),
        target=locked,
        project=access_request.dataset.project,
    )
    return locked
