"""One request's page, and the committee's and steward's decisions on it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.access import selectors, services
from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.forms import (
    DecisionForm,
    ReasonForm,
    StewardDecisionForm,
    apply_service_errors,
)
from apps.access.policy import Action, can, get_for_user, visible
from apps.access.policy.committee_work import COMMITTEE_VIEW
from apps.access.policy.requests import STEWARD_APPROVE
from apps.access.views.agreements import agreement_context
from apps.access.views.committee_discussion import discussion_context
from apps.access.views.committee_reviews import review_context
from apps.access.views.committee_votes import vote_context
from apps.access.views.common import REQUEST_QS, access_request_url, refuse_or_report


# --- One request ------------------------------------------------------------------------------
@login_required
def request_detail(request, pk):
    access_request = get_for_user(
        request.user,
        REQUEST_QS.prefetch_related("diseases", "declared_conflicts"),
        pk=pk,
    )
    user = request.user
    context = {
        "access_request": access_request,
        "is_requester": access_request.requester_id == user.pk,
        "can_view_purpose": can(user, Action.VIEW_PURPOSE, access_request),
        "research_types": selectors.declared_research_types(access_request),
        "sensitive_topics": selectors.declared_sensitive_topics(access_request),
        "obligations": selectors.accepted_obligations(access_request),
        "can_decide": can(user, Action.DECIDE, access_request),
        "can_steward": can(user, STEWARD_APPROVE, access_request),
        "can_edit": can(user, Action.EDIT, access_request),
        "policy_lines": selectors.policy_lines(access_request.policy),
        "decision_form": DecisionForm(),
        "steward_form": StewardDecisionForm(),
        "grant": visible(user, access_request.grants.all()).first(),
    }
    context.update(vote_context(user, access_request), **review_context(user, access_request))
    context.update(discussion_context(user, access_request))
    context.update(agreement_context(user, access_request))
    if can(user, COMMITTEE_VIEW, access_request):
        seats = selectors.request_seats(access_request)
        context.update(
            seats=seats,
            my_seat=next((s for s in seats if s.member.user_id == user.pk), None),
            earlier=selectors.earlier_requests(access_request)[:10],
        )
    return render(request, "access/request_detail.html", context)


@login_required
@require_POST
def request_decide(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, pk=pk)
    if not can(request.user, Action.DECIDE, access_request):
        # Conflicted, not on the committee, or already decided: the server refuses too.
        raise PermissionDenied("You cannot decide this request.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _decision_form_errors(request, access_request, form)
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    try:
        if decision == DecisionForm.APPROVE:
            services.access_request_approve(
                access_request=access_request,
                actor=request.user,
                approved_until=form.cleaned_data["approved_until"],
                reason=reason,
                request=request,
            )
        elif decision == DecisionForm.REJECT:
            services.access_request_reject(
                access_request=access_request, actor=request.user, reason=reason, request=request
            )
        else:
            services.access_request_return(
                access_request=access_request, actor=request.user, reason=reason, request=request
            )
    except ValidationError as error:
        apply_service_errors(form, error)
        return _decision_form_errors(request, access_request, form)
    except (TransitionError, NotAllowed) as error:
        return refuse_or_report(request, error, access_request_url(access_request))
    messages.success(request, "Your decision is recorded.")
    return redirect("access:request_detail", pk=pk)


def _decision_form_errors(request, access_request, form) -> HttpResponse:
    return render(
        request,
        "access/request_decide.html",
        {"access_request": access_request, "decision_form": form},
        status=400,
    )


@login_required
@require_POST
def request_steward(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, action=STEWARD_APPROVE, pk=pk)
    form = StewardDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("access:request_detail", pk=pk)
    try:
        services.access_request_steward_decide(
            access_request=access_request,
            actor=request.user,
            approve=form.cleaned_data["approve"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, TransitionError, NotAllowed) as error:
        if isinstance(error, ValidationError):
            error = TransitionError(" ".join(error.messages))
        return refuse_or_report(request, error, access_request_url(access_request))
    messages.success(request, "The steward organisation's decision is recorded.")
    return redirect("access:request_detail", pk=pk)


@login_required
@require_POST
def request_declare_conflict(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, pk=pk)
    form = ReasonForm(request.POST, required=False)
    form.is_valid()
    try:
        services.access_request_declare_conflict(
            access_request=access_request,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
            request=request,
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(
        request, "Your conflict of interest is recorded; you will not decide this request."
    )
    return redirect("access:request_detail", pk=pk)
