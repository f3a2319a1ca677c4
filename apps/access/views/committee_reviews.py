"""Reviewers (#18): the committee asks for a review; the reviewer writes it; their list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.access.exceptions import TransitionError
from apps.access.forms import apply_service_errors
from apps.access.forms_committee import ReviewAskForm, ReviewForm
from apps.access.models import RequestReview
from apps.access.policy import Action, can, get_for_user, visible
from apps.access.policy.committee_work import ASK_REVIEW
from apps.access.services.reviews import request_review_ask, request_review_submit
from apps.access.views.common import REQUEST_QS, access_request_url, page_of, refuse_or_report


def review_context(user, access_request, *, ask_form=None, review_form=None) -> dict:
    reviews = list(
        visible(user, RequestReview.objects.filter(request_id=access_request.pk)).select_related(
            "reviewer", "asked_by"
        )
    )
    mine = next((r for r in reviews if r.reviewer_id == user.pk), None)
    return {
        "reviews": reviews,
        "my_review": mine,
        "is_reviewer": mine is not None,
        "can_write_review": mine is not None and can(user, Action.EDIT, mine),
        "can_ask_review": can(user, ASK_REVIEW, access_request),
        "review_ask_form": ask_form or ReviewAskForm(),
        "review_form": review_form or ReviewForm(),
    }


@login_required
@require_POST
def review_ask(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, action=ASK_REVIEW, pk=pk)
    form = ReviewAskForm(request.POST)
    if form.is_valid():
        try:
            request_review_ask(
                access_request=access_request,
                reviewer=form.cleaned_data["reviewer"],
                question=form.cleaned_data["question"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The reviewer was asked and notified.")
            return redirect("access:request_detail", pk=pk)
    return render(
        request,
        "access/review_ask.html",
        {"access_request": access_request, "form": form},
        status=400,
    )


@login_required
@require_POST
def review_submit(request, pk, review_pk):
    access_request = get_for_user(request.user, REQUEST_QS, pk=pk)
    review = get_for_user(
        request.user,
        RequestReview.objects.filter(request_id=access_request.pk),
        action=Action.EDIT,
        pk=review_pk,
    )
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            request_review_submit(
                review=review, actor=request.user, text=form.cleaned_data["review"], request=request
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionError as error:
            return refuse_or_report(request, error, access_request_url(access_request))
        else:
            messages.success(request, "Your review was sent to the committee.")
            return redirect("access:request_detail", pk=pk)
    return render(
        request,
        "access/review_write.html",
        {"access_request": access_request, "form": form, "review": review},
        status=400,
    )


@login_required
def my_reviews(request):
    reviews = (
        visible(request.user, RequestReview.objects.filter(reviewer_id=request.user.pk))
        .select_related("request__dataset", "request__dataset__project")
        .order_by("submitted_at", "-created_at")
    )
    return render(request, "access/review_list.html", {"page_obj": page_of(request, reviews)})
