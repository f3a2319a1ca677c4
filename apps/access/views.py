"""Controlled-access pages. Thin: fetch through the policy, call a service, render.

Every lookup goes through `get_for_user` (404 when not visible, 403 when visible but the action
is refused); services re-check what they must, so a stale page can never decide twice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from apps.access import selectors, services
from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.forms import (
    AccessRequestForm,
    CommitteeForm,
    CommitteeMemberForm,
    DataUsePolicyForm,
    DecisionForm,
    GrantActionForm,
    ReasonForm,
    StewardDecisionForm,
    apply_service_errors,
)
from apps.access.models import (
    AccessGrant,
    AccessRequest,
    CommitteeMember,
    DataAccessCommittee,
    RequestStatus,
)
from apps.access.policy import Action, can, get_for_user, visible
from apps.access.policy.requests import STEWARD_APPROVE
from apps.datasets.models import Dataset
from apps.projects.models import Project

PAGE_SIZE = 25
REQUEST_QS = AccessRequest.objects.select_related(
    "dataset", "dataset__project", "requester", "organisation", "decided_by", "policy"
)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _refuse_or_report(request, error: Exception, url: str) -> HttpResponse:
    """A state race or refusal from a service: say so and go back, nothing was changed."""
    if isinstance(error, NotAllowed):
        raise PermissionDenied(str(error))
    messages.error(request, str(error))
    return redirect(url)


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
    page_obj = _page(request, selectors.my_requests(request.user))
    return render(request, "access/request_list.html", {"page_obj": page_obj})


@login_required
def grant_list(request):
    page_obj = _page(request, selectors.my_grants(request.user))
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
    policy = selectors.dataset_current_policy(dataset)
    terms = selectors.policy_terms(policy)
    form = AccessRequestForm(request.POST or None, user=request.user, terms=terms)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.access_request_create(
                dataset=dataset,
                requester=request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.service_data(),
                request=request,
            )
            return _after_save(request, created)
        except ValidationError as error:
            apply_service_errors(form, error)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
    return render(
        request,
        "access/request_form.html",
        {
            "form": form,
            "dataset": dataset,
            "policy_lines": selectors.policy_lines(policy),
            "has_policy": policy is not None,
        },
        status=400 if form.errors else 200,
    )


def _after_save(request, access_request) -> HttpResponse:
    """ "Save draft" stays a draft; "Submit" submits it straight away."""
    if "submit" not in request.POST:
        messages.success(request, "Your draft is saved.")
        return redirect("access:request_detail", pk=access_request.pk)
    try:
        submitted = services.access_request_submit(
            access_request=access_request, actor=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("access:request_edit", pk=access_request.pk)
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
    initial = {name: getattr(access_request, name) for name in services.requests.FORM_FIELDS}
    initial.update(
        organisation=access_request.organisation_id,
        diseases=list(access_request.diseases.all()),
        is_commercial="true" if access_request.is_commercial else "false",
    )
    form = AccessRequestForm(request.POST or None, user=request.user, terms=terms, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.access_request_update(
                access_request=access_request,
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.service_data(),
                request=request,
            )
            return _after_save(request, saved)
        except ValidationError as error:
            apply_service_errors(form, error)
        except (TransitionError, NotAllowed) as error:
            return _refuse_or_report(request, error, access_request_url(access_request))
    return render(
        request,
        "access/request_form.html",
        {
            "form": form,
            "dataset": access_request.dataset,
            "access_request": access_request,
            "policy_lines": selectors.policy_lines(
                selectors.dataset_current_policy(access_request.dataset)
            ),
            "has_policy": bool(terms),
        },
        status=400 if form.errors else 200,
    )


def access_request_url(access_request) -> str:
    return reverse("access:request_detail", kwargs={"pk": access_request.pk})


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
        "can_decide": can(user, Action.DECIDE, access_request),
        "can_steward": can(user, STEWARD_APPROVE, access_request),
        "can_edit": can(user, Action.EDIT, access_request),
        "policy_lines": selectors.policy_lines(access_request.policy),
        "decision_form": DecisionForm(),
        "steward_form": StewardDecisionForm(),
        "grant": access_request.grants.first(),
    }
    if access_request.requester_id != user.pk:
        seats = selectors.request_seats(access_request)
        context.update(
            seats=seats,
            my_seat=next((s for s in seats if s.member.user_id == user.pk), None),
            earlier=selectors.earlier_requests(access_request)[:10],
        )
    return render(request, "access/request_detail.html", context)


@login_required
@require_POST
def request_submit(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, action=Action.EDIT, pk=pk)
    try:
        submitted = services.access_request_submit(
            access_request=access_request, actor=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("access:request_edit", pk=pk)
    except (TransitionError, NotAllowed) as error:
        return _refuse_or_report(request, error, access_request_url(access_request))
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
            return _refuse_or_report(request, error, access_request_url(access_request))
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
        return _refuse_or_report(request, error, access_request_url(access_request))
    messages.success(
        request, "A new draft was made from your earlier request; check and submit it."
    )
    return redirect("access:request_edit", pk=draft.pk)


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
        return _refuse_or_report(request, error, access_request_url(access_request))
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
        return _refuse_or_report(request, error, access_request_url(access_request))
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


# --- Grants -----------------------------------------------------------------------------------
GRANT_QS = AccessGrant.objects.select_related(
    "dataset", "dataset__project", "user", "organisation", "request", "policy", "status_changed_by"
)


@login_required
def grant_detail(request, pk):
    grant = get_for_user(request.user, GRANT_QS, pk=pk)
    return render(
        request,
        "access/grant_detail.html",
        {
            "grant": grant,
            "is_live": selectors.grant_is_live(grant),
            "can_manage": can(request.user, Action.MANAGE, grant),
            "is_holder": grant.user_id == request.user.pk,
            "renewal": grant.renewals.exclude(status=RequestStatus.WITHDRAWN).first(),
            "policy_lines": selectors.policy_lines(grant.policy),
            "revoke_form": GrantActionForm(initial={"action": GrantActionForm.REVOKE}),
            "suspend_form": GrantActionForm(initial={"action": GrantActionForm.SUSPEND}),
            "reinstate_form": GrantActionForm(initial={"action": GrantActionForm.REINSTATE}),
        },
    )


@login_required
@require_POST
def grant_manage(request, pk):
    grant = get_for_user(request.user, GRANT_QS, action=Action.MANAGE, pk=pk)
    form = GrantActionForm(request.POST)
    url = reverse("access:grant_detail", kwargs={"pk": pk})
    if not form.is_valid():
        messages.error(request, "Give a reason to revoke or suspend a grant.")
        return HttpResponseRedirect(url)
    service = {
        GrantActionForm.REVOKE: services.grant_revoke,
        GrantActionForm.SUSPEND: services.grant_suspend,
        GrantActionForm.REINSTATE: services.grant_reinstate,
    }[form.cleaned_data["action"]]
    try:
        service(
            grant=grant, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except (ValidationError, TransitionError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return HttpResponseRedirect(url)
    messages.success(request, "The grant was updated.")
    return HttpResponseRedirect(url)


@login_required
@require_POST
def grant_renew(request, pk):
    grant = get_for_user(request.user, GRANT_QS, pk=pk)
    try:
        draft = services.access_request_renew(grant=grant, actor=request.user, request=request)
    except NotAllowed as error:
        messages.error(request, str(error))
        return redirect("access:grant_detail", pk=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("access:grant_detail", pk=pk)
    messages.success(request, "A renewal request was drafted from your grant; check and submit it.")
    return redirect("access:request_edit", pk=draft.pk)


# --- Data-use policy --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk):
    dataset = get_for_user(
        request.user, Dataset.objects.select_related("project"), action=Action.EDIT, pk=pk
    )
    current = selectors.dataset_current_policy(dataset)
    initial = DataUsePolicyForm.initial_from_terms(selectors.policy_terms(current))
    form = DataUsePolicyForm(request.POST or None, dataset=dataset, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.data_use_policy_set(
                dataset=dataset, actor=request.user, request=request, **form.service_kwargs()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The data-use policy was saved as a new version.")
            return redirect("access:policy_edit", pk=pk)
    return render(
        request,
        "access/policy_form.html",
        {
            "form": form,
            "dataset": dataset,
            "current": current,
            "policy_lines": selectors.policy_lines(current),
        },
        status=400 if form.errors else 200,
    )


# --- The committee ----------------------------------------------------------------------------
COMMITTEE_QS = DataAccessCommittee.objects.select_related("project")


@login_required
@require_http_methods(["GET", "POST"])
def committee_queue(request, slug):
    if not DataAccessCommittee.objects.filter(project__slug=slug).exists():
        return _committee_setup(request, slug)
    committee = get_for_user(
        request.user, COMMITTEE_QS, action=Action.VIEW_DETAILS, project__slug=slug
    )
    project = committee.project
    status = request.GET.get("status", "open")
    queue = selectors.committee_queue(committee, request.user)
    if status == "open":
        queue = queue.filter(status=RequestStatus.IN_REVIEW)
    decidable = set(
        selectors.requests_awaiting_decision_by(request.user)
        .filter(dataset__project=project)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "access/committee_queue.html",
        {
            "project": project,
            "committee": committee,
            "seats": selectors.committee_current_seats(committee),
            "page_obj": _page(request, queue),
            "status": status,
            "decidable": decidable,
            "can_manage": can(request.user, Action.MANAGE, committee),
        },
    )


def _committee_setup(request, slug) -> HttpResponse:
    """No committee yet: its coordinators may set it up; to everyone else it does not exist."""
    project = visible(request.user, Project.objects.filter(slug=slug), Action.MANAGE).first()
    if project is None:
        raise Http404("No committee")
    form = CommitteeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.committee_create(
            project=project, actor=request.user, name=form.cleaned_data["name"], request=request
        )
        messages.success(request, "The committee was set up; now add its members.")
        return redirect("access:committee_members", slug=project.slug)
    return render(request, "access/committee_setup.html", {"project": project, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def committee_members(request, slug):
    committee = get_for_user(request.user, COMMITTEE_QS, action=Action.MANAGE, project__slug=slug)
    project = committee.project
    form = CommitteeMemberForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.committee_member_add(
                committee=committee, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The member was added.")
            return redirect("access:committee_members", slug=slug)
    members = committee.members.select_related("user", "organisation").order_by(
        "ended_at", "-is_chair", "user__last_name"
    )
    return render(
        request,
        "access/committee_members.html",
        {"project": project, "committee": committee, "members": members, "form": form},
        status=400 if form.errors else 200,
    )


def _member_for_manager(request, slug, member_pk) -> CommitteeMember:
    committee = get_for_user(request.user, COMMITTEE_QS, action=Action.MANAGE, project__slug=slug)
    member = committee.members.filter(pk=member_pk).select_related("user").first()
    if member is None:
        raise Http404("No such member")
    return member


@login_required
@require_POST
def committee_member_end(request, slug, member_pk):
    member = _member_for_manager(request, slug, member_pk)
    form = ReasonForm(request.POST, required=False)
    form.is_valid()
    services.committee_member_end(
        member=member,
        actor=request.user,
        reason=form.cleaned_data.get("reason", ""),
        request=request,
    )
    messages.success(request, f"{member.user} no longer sits on the committee.")
    return redirect("access:committee_members", slug=slug)


@login_required
@require_POST
def committee_member_chair(request, slug, member_pk):
    member = _member_for_manager(request, slug, member_pk)
    try:
        services.committee_chair_set(member=member, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{member.user} now chairs the committee.")
    return redirect("access:committee_members", slug=slug)
