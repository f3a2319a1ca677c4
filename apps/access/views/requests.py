"""Filing, editing, submitting, withdrawing and re-applying a request; the requester's lists."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.access import selectors, services
from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.forms import (
    AccessRequestForm,
    ReasonForm,
    apply_service_errors,
)
from apps.access.models import RequestStatus
from apps.access.policy import Action, can, get_for_user
from apps.access.services.agreements import current_agreement_for
from apps.access.views.common import REQUEST_QS, access_request_url, page_of, refuse_or_report
from apps.datasets.models import Dataset


# --- My access --------------------------------------------------------------------------------
@login_required
def index(request):
    return render(
        request,
        "access/index.html",
        {
            "requests": selectors.my_requests(request.user)[:5],
            "grants": selectors.my_grants(request.user)[:5],
            "awaiting": selectors.requests_awaiting_decision_by(request.user)[:5],
        },
    )


@login_required
def request_list(request):
    page_obj = page_of(request, selectors.my_requests(request.user))
    return render(request, "access/request_list.html", {"page_obj": page_obj})


@login_required
def grant_list(request):
    page_obj = page_of(request, selectors.my_grants(request.user))
    return render(request, "access/grant_list.html", {"page_obj": page_obj})


# --- Filing a request -------------------------------------------------------------------------
def _dataset_for_request(request, pk) -> Dataset:
    dataset = get_for_user(request.user, Dataset.objects.select_related("project"), pk=pk)
    if not can(request.user, Action.REQUEST_ACCESS, dataset):
        raise PermissionDenied("You cannot request access to this dataset.")
    return dataset


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request, pk):
    dataset = get_for_user(request.user, Dataset.objects.select_related("project"), pk=pk)
    existing = selectors.open_request_for(request.user, dataset)
    if existing is not None:
        messages.info(request, "You already have an open request for this dataset.")
        return redirect("access:request_detail", pk=existing.pk)
    dataset = _dataset_for_request(request, pk)
    terms = selectors.policy_terms(selectors.dataset_current_policy(dataset))
    form = _request_form(request, terms)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                created = services.access_request_create(
                    dataset=dataset,
                    requester=request.user,
                    organisation=form.cleaned_data["organisation"],
                    data=form.service_data(),
                    request=request,
                )
                return _after_save(request, created, submitting=form.submitting)
        except ValidationError as error:
            apply_service_errors(form, error)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
    return _form_page(request, form, dataset=dataset)


def _request_form(request, terms: dict, *, initial=None) -> AccessRequestForm:
    """Bound on POST; "Save draft" relaxes what only submission needs."""
    submitting = request.method != "POST" or "submit" in request.POST
    return AccessRequestForm(
        request.POST or None,
        user=request.user,
        terms=terms,
        submitting=submitting,
        initial=initial,
    )


def _form_page(request, form, *, dataset, access_request=None) -> HttpResponse:
    policy = selectors.dataset_current_policy(dataset)
    return render(
        request,
        "access/request_form.html",
        {
            "form": form,
            "dataset": dataset,
            "access_request": access_request,
            "policy_lines": selectors.policy_lines(policy),
            "has_policy": policy is not None,
        },
        status=400 if form.errors else 200,
    )


def _after_save(request, access_request, *, submitting: bool) -> HttpResponse:
    """ "Save draft" stays a draft, and says so; "Submit" submits in the same transaction, so
    a submission the service refuses leaves nothing saved (the caller shows the errors)."""
    if not submitting:
        messages.success(request, "Your draft is saved. It has not been sent to the committee yet.")
        return redirect("access:request_detail", pk=access_request.pk)
    if current_agreement_for(access_request.dataset) is not None:
        # The agreement is read and accepted on the request's page, beside its Submit button.
        messages.info(
            request, "Your draft is saved. Read and accept the data use agreement to submit it."
        )
        return redirect("access:request_detail", pk=access_request.pk)
    submitted = services.access_request_submit(
        access_request=access_request, actor=request.user, request=request
    )
    messages.success(request, _submitted_message(submitted))
    return redirect("access:request_detail", pk=submitted.pk)


def _submitted_message(access_request) -> str:
    if access_request.status == RequestStatus.REFUSED:
        return "The automatic check refused the request; the reasons are below."
    if access_request.status == RequestStatus.APPROVED:
        return "Your request passed every check and was approved."
    return "Your request was submitted to the data access committee."


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, action=Action.EDIT, pk=pk)
    terms = selectors.policy_terms(selectors.dataset_current_policy(access_request.dataset))
    form = _request_form(request, terms, initial=AccessRequestForm.initial_from(access_request))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = services.access_request_update(
                    access_request=access_request,
                    actor=request.user,
                    organisation=form.cleaned_data["organisation"],
                    data=form.service_data(),
                    request=request,
                )
                return _after_save(request, saved, submitting=form.submitting)
        except ValidationError as error:
            apply_service_errors(form, error)
        except (TransitionError, NotAllowed) as error:
            return refuse_or_report(request, error, access_request_url(access_request))
    return _form_page(request, form, dataset=access_request.dataset, access_request=access_request)


# --- The requester's transitions -------------------------------------------------------------
@login_required
@require_POST
def request_submit(request, pk):
    """Submit a saved draft as it stands. When something is missing, the request stays as it
    was and the form shows the errors at their fields."""
    access_request = get_for_user(request.user, REQUEST_QS, action=Action.EDIT, pk=pk)
    try:
        submitted = services.access_request_submit(
            access_request=access_request,
            actor=request.user,
            agreement_version=request.POST.get("agreement_version"),
            request=request,
        )
    except ValidationError as error:
        if "agreement" in getattr(error, "message_dict", {}):
            messages.error(request, " ".join(error.messages))
            return redirect("access:request_detail", pk=pk)  # where the agreement is shown
        terms = selectors.policy_terms(selectors.dataset_current_policy(access_request.dataset))
        form = AccessRequestForm(
            user=request.user, terms=terms, initial=AccessRequestForm.initial_from(access_request)
        )
        # An unbound form shows the saved values; the service's errors go on its fields.
        form.cleaned_data = {}
        assert not form.errors
        apply_service_errors(form, error)
        return _form_page(
            request, form, dataset=access_request.dataset, access_request=access_request
        )
    except (TransitionError, NotAllowed) as error:
        return refuse_or_report(request, error, access_request_url(access_request))
    messages.success(request, _submitted_message(submitted))
    return redirect("access:request_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def request_withdraw(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, pk=pk)
    if access_request.requester_id != request.user.pk:
        raise PermissionDenied
    needs_reason = access_request.status != RequestStatus.DRAFT
    form = ReasonForm(request.POST or None, required=needs_reason)
    if request.method == "POST" and form.is_valid():
        try:
            services.access_request_withdraw(
                access_request=access_request,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except (TransitionError, NotAllowed) as error:
            return refuse_or_report(request, error, access_request_url(access_request))
        else:
            messages.success(request, "The request was withdrawn.")
            return redirect("access:request_detail", pk=pk)
    return render(
        request,
        "access/request_withdraw.html",
        {"access_request": access_request, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def request_reapply(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, pk=pk)
    try:
        draft = services.access_request_reapply(
            access_request=access_request, actor=request.user, request=request
        )
    except (TransitionError, NotAllowed) as error:
        return refuse_or_report(request, error, access_request_url(access_request))
    messages.success(
        request, "A new draft was made from your earlier request; check and submit it."
    )
    return redirect("access:request_edit", pk=draft.pk)
