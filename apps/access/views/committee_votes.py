"""Votes on a request and the committee's decision rule (#18). Thin: policy, service, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.access.exceptions import TransitionError
from apps.access.forms import apply_service_errors
from apps.access.forms_committee import CommitteeRulesForm, ReturnForm, VoteForm
from apps.access.models import DataAccessCommittee
from apps.access.policy import Action, can, get_for_user, visible
from apps.access.policy.committee_work import VOTE
from apps.access.services.votes import (
    access_request_vote,
    committee_rules_set,
    decides_by_vote,
    request_tally,
    round_votes,
)
from apps.access.views.common import REQUEST_QS, access_request_url, refuse_or_report


def vote_context(user, access_request) -> dict:
    """What the request page shows about votes: the tally and this round's votes (to the
    non-conflicted committee and staff only), and whether `user` may vote or decide alone."""
    by_vote = decides_by_vote(access_request)
    can_decide = can(user, Action.DECIDE, access_request)
    show_votes = (
        by_vote
        and access_request.requester_id != user.pk
        and can(user, Action.VIEW_PURPOSE, access_request)
    )
    votes = []
    if show_votes and access_request.submitted_at:
        votes = list(visible(user, round_votes(access_request)))
    return {
        "decides_by_vote": by_vote,
        "decide_alone": can_decide and (not by_vote or access_request.escalated_to_staff),
        "can_return": can_decide and by_vote and not access_request.escalated_to_staff,
        "can_vote": by_vote and can(user, VOTE, access_request),
        "show_votes": show_votes,
        "votes": votes,
        "tally": request_tally(access_request) if show_votes else None,
        "my_vote": next((v for v in votes if v.voter_id == user.pk), None),
        "vote_form": VoteForm(),
        "return_form": ReturnForm(auto_id="return_%s"),  # ids apart from the vote form's
    }


@login_required
@require_POST
def request_vote(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, action=VOTE, pk=pk)
    form = VoteForm(request.POST)
    if form.is_valid():
        try:
            access_request_vote(
                access_request=access_request,
                actor=request.user,
                choice=form.cleaned_data["choice"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionError as error:
            return refuse_or_report(request, error, access_request_url(access_request))
        else:
            messages.success(request, "Your vote is recorded.")
            return redirect("access:request_detail", pk=pk)
    return render(
        request,
        "access/request_vote.html",
        {"access_request": access_request, "vote_form": form},
        status=400,
    )


@login_required
@require_POST
def committee_rules(request, slug):
    committee = get_for_user(
        request.user,
        DataAccessCommittee.objects.select_related("project"),
        action=Action.MANAGE,
        project__slug=slug,
    )
    form = CommitteeRulesForm(request.POST)
    if form.is_valid():
        try:
            committee_rules_set(
                committee=committee, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The committee's decision rule was saved.")
            return redirect("access:committee_members", slug=slug)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("access:committee_members", slug=slug)
