"""The data-use policy form, the committee queue and its members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.access import selectors, services
from apps.access.forms import (
    CommitteeForm,
    CommitteeMemberForm,
    DataUsePolicyForm,
    ReasonForm,
    apply_service_errors,
)
from apps.access.forms_committee import CommitteeRulesForm
from apps.access.models import (
    CommitteeMember,
    DataAccessCommittee,
    RequestStatus,
)
from apps.access.policy import Action, can, get_for_user, visible
from apps.access.views.common import page_of
from apps.datasets.models import Dataset
from apps.projects.models import Project


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
    committees = DataAccessCommittee.objects.system(
        "whether a committee exists picks its set-up page or its queue; each checks rights"
    )
    if not committees.filter(project__slug=slug).exists():
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
            "page_obj": page_of(request, queue),
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
        {
            "project": project,
            "committee": committee,
            "members": members,
            "form": form,
            "rules_form": CommitteeRulesForm(
                initial={"decision_rule": committee.decision_rule, "quorum": committee.quorum}
            ),
        },
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
