from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.access.policy import Action, can, get_for_user
from apps.milestones import selectors, services
from apps.milestones.exports import milestones_csv, milestones_ics
from apps.milestones.forms import (
    EVIDENCE_FIELDS,
    DeferForm,
    DeliverableForm,
    MilestoneForm,
    ReturnForm,
    StatusForm,
)
from apps.milestones.models import Deliverable, Milestone
from apps.milestones.services import today
from apps.milestones.timeline import days_late, timeline_build
from apps.projects.models import Project


# --- Lookups through the policy -----------------------------------------------------------------
def _project(request, slug: str) -> Project:
    """The project, 404 unless its milestones are open to the person (existence not leaked)."""
    project = get_for_user(request.user, Project.objects.all(), slug=slug)
    if not selectors.can_see_project_milestones(request.user, project):
        raise Http404("Not found")
    return project


def _managed_project(request, slug: str) -> Project:
    project = _project(request, slug)
    if not can(request.user, Action.MANAGE, project):
        raise PermissionDenied
    return project


def _milestone(request, milestone_id, action=Action.VIEW) -> Milestone:
    queryset = Milestone.objects.select_related(
        "project", "work_package", "owner", "owner_organisation"
    )
    return get_for_user(request.user, queryset, action=action, pk=milestone_id)


def _deliverable(request, deliverable_id, action=Action.VIEW) -> Deliverable:
    queryset = Deliverable.objects.select_related(
        "project", "work_package", "lead_organisation", "author", "reviewer", "approver"
    )
    return get_for_user(request.user, queryset, action=action, pk=deliverable_id)


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Portfolio and project lists ------------------------------------------------------------------
@login_required
def portfolio(request):
    day = today()
    milestones = list(selectors.portfolio_milestones(request.user, today=day))
    context = {
        "milestones": milestones,
        "deliverables": selectors.portfolio_deliverables(request.user, today=day),
        "timeline": timeline_build(milestones, today=day),
        "today": day,
        "days": selectors.PORTFOLIO_DAYS,
    }
    return render(request, "milestones/portfolio.html", context)


SORTS = {"due": ("due_date", "title"), "title": ("title",), "status": ("status", "due_date")}


def _sorted(queryset, key: str):
    field = key.lstrip("-")
    order = SORTS.get(field, SORTS["due"])
    return queryset.order_by(*[f"-{f}" if key.startswith("-") else f for f in order])


def project_milestones(request, slug: str):
    project = _project(request, slug)
    day = today()
    milestones = list(
        _sorted(selectors.project_milestones(request.user, project), request.GET.get("sort", "due"))
    )
    by_due = sorted(milestones, key=lambda m: (m.due_date, m.title))
    context = {
        "project": project,
        "milestones": milestones,
        "timeline": timeline_build(
            by_due, today=day, project=project, deferred_from=selectors.first_due_dates(by_due)
        ),
        "today": day,
        "can_manage": can(request.user, Action.MANAGE, project),
    }
    return render(request, "milestones/project_milestones.html", context)


def export_csv(request, slug: str):
    project = _project(request, slug)
    body = milestones_csv(selectors.project_milestones(request.user, project), today=today())
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-milestones.csv"'
    return response


def export_ics(request, slug: str):
    project = _project(request, slug)
    milestones = selectors.project_milestones(request.user, project)
    body = milestones_ics(milestones, project=project, today=today())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-milestones.ics"'
    return response


# --- Milestones -----------------------------------------------------------------------------------
def _create_in_project(request, slug: str, *, form_class, create, links, template, done):
    """The add-a-milestone and add-a-deliverable pages: one form, the linked items as lists,
    the service's ValidationError back onto the form with nothing saved."""
    project = _managed_project(request, slug)
    form = form_class(request.POST or None, project=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: v for k, v in data.items() if k not in links}
        try:
            created = create(
                project=project,
                actor=request.user,
                request=request,
                **fields,
                **{link: list(data[link]) for link in links},
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return done(created, project)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, "project": project}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_create(request, slug: str):
    def done(milestone, project):
        messages.success(request, f"Milestone “{milestone.title}” added.")
        return redirect("milestones:project", slug=project.slug)

    return _create_in_project(
        request,
        slug,
        form_class=MilestoneForm,
        create=services.milestone_create,
        links=("protocols", "datasets"),
        template="milestones/milestone_form.html",
        done=done,
    )


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request, milestone_id):
    milestone = _milestone(request, milestone_id, Action.MANAGE)
    form = MilestoneForm(
        request.POST or None, instance=milestone, project=milestone.project, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.milestone_update(
                milestone=milestone,
                actor=request.user,
                request=request,
                **{k: v for k, v in data.items() if k in services.MILESTONE_EDITABLE},
                protocols=list(data["protocols"]),
                datasets=list(data["datasets"]),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Milestone saved.")
            return redirect("milestones:detail", milestone_id=milestone.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "project": milestone.project, "milestone": milestone}
    return render(request, "milestones/milestone_form.html", context, status=status)


def _detail_context(request, milestone, *, status_form=None, defer_form=None) -> dict:
    may_edit = can(request.user, Action.EDIT, milestone)
    return {
        "milestone": milestone,
        "project": milestone.project,
        "history": selectors.milestone_history(milestone),
        "late_days": days_late(milestone, today()),
        "can_edit": may_edit,
        "can_manage": can(request.user, Action.MANAGE, milestone),
        "status_form": status_form or (StatusForm(milestone=milestone) if may_edit else None),
        "defer_form": defer_form or (DeferForm() if may_edit else None),
        "deferrable": milestone.status in services.DEFERRABLE,
    }


def milestone_detail(request, milestone_id):
    milestone = _milestone(request, milestone_id)
    return render(request, "milestones/milestone_detail.html", _detail_context(request, milestone))


@login_required
@require_POST
def milestone_status(request, milestone_id):
    milestone = _milestone(request, milestone_id, Action.EDIT)
    form = StatusForm(request.POST, milestone=milestone)
    if form.is_valid():
        try:
            services.milestone_set_status(
                milestone=milestone,
                actor=request.user,
                request=request,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Status updated.")
            return redirect("milestones:detail", milestone_id=milestone.pk)
    context = _detail_context(request, milestone, status_form=form)
    return render(request, "milestones/milestone_detail.html", context, status=400)


@login_required
@require_POST
def milestone_defer(request, milestone_id):
    milestone = _milestone(request, milestone_id, Action.EDIT)
    form = DeferForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_defer(
                milestone=milestone,
                actor=request.user,
                request=request,
                new_due_date=form.cleaned_data["new_due_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Milestone deferred; the old date is kept in its history.")
            return redirect("milestones:detail", milestone_id=milestone.pk)
    context = _detail_context(request, milestone, defer_form=form)
    return render(request, "milestones/milestone_detail.html", context, status=400)


@login_required
@require_POST
def milestone_delete(request, milestone_id):
    milestone = _milestone(request, milestone_id, Action.MANAGE)
    slug = milestone.project.slug
    services.milestone_delete(milestone=milestone, actor=request.user, request=request)
    messages.success(request, "Milestone deleted.")
    return redirect("milestones:project", slug=slug)


# --- Deliverables ---------------------------------------------------------------------------------
def project_deliverables(request, slug: str):
    project = get_for_user(request.user, Project.objects.all(), slug=slug)
    context = {
        "project": project,
        "deliverables": selectors.project_deliverables(request.user, project),
        "can_manage": can(request.user, Action.MANAGE, project),
    }
    return render(request, "milestones/project_deliverables.html", context)


def public_deliverables(request):
    return render(
        request,
        "milestones/public_deliverables.html",
        {"deliverables": selectors.public_deliverables(request.user)},
    )


def _deliverable_fields(data) -> dict:
    return {k: v for k, v in data.items() if k not in EVIDENCE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def deliverable_create(request, slug: str):
    def done(deliverable, project):
        messages.success(request, f"Deliverable {deliverable.code} added.")
        return redirect("milestones:deliverable", deliverable_id=deliverable.pk)

    return _create_in_project(
        request,
        slug,
        form_class=DeliverableForm,
        create=services.deliverable_create,
        links=tuple(EVIDENCE_FIELDS),
        template="milestones/deliverable_form.html",
        done=done,
    )


@login_required
@require_http_methods(["GET", "POST"])
def deliverable_edit(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id, Action.EDIT)
    project = deliverable.project
    form = DeliverableForm(
        request.POST or None, instance=deliverable, project=project, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.deliverable_update(
                deliverable=Deliverable.objects.get(pk=deliverable.pk),
                actor=request.user,
                request=request,
                **_deliverable_fields(data),
                **{name: list(data[name]) for name in EVIDENCE_FIELDS},
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Deliverable saved.")
            return redirect("milestones:deliverable", deliverable_id=deliverable.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "project": project, "deliverable": deliverable}
    return render(request, "milestones/deliverable_form.html", context, status=status)


def _deliverable_context(request, deliverable, return_form=None) -> dict:
    user = request.user
    may_edit = can(user, Action.EDIT, deliverable)
    return {
        "deliverable": deliverable,
        "project": deliverable.project,
        "can_edit": may_edit,
        "can_manage": can(user, Action.MANAGE, deliverable),
        "can_approve": services.may_approve(user, deliverable),
        "return_form": return_form or ReturnForm(),
        # Evidence through the policy, as the API lists it: a public deliverable may link
        # consortium-tier datasets or draft versions its readers may not see.
        "evidence": selectors.deliverable_evidence(user, deliverable),
        # The first two kinds' rows by name, as the API's deliverable lists them.
        "protocol_versions": selectors.deliverable_protocol_versions(user, [deliverable.pk]),
        "datasets": selectors.deliverable_datasets(user, [deliverable.pk]),
    }


def deliverable_detail(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id)
    return render(
        request, "milestones/deliverable_detail.html", _deliverable_context(request, deliverable)
    )


TRANSITIONS = {
    "start": (Action.EDIT, services.deliverable_start),
    "request-review": (Action.EDIT, services.deliverable_request_review),
    "approve": (Action.VIEW, services.deliverable_approve),  # the service checks who approves
    "submit": (Action.MANAGE, services.deliverable_submit),
}


@login_required
@require_POST
def deliverable_transition(request, deliverable_id, transition: str):
    if transition == "return":
        return _deliverable_return(request, deliverable_id)
    if transition not in TRANSITIONS:
        raise Http404("Not found")
    action, service = TRANSITIONS[transition]
    deliverable = _deliverable(request, deliverable_id, action)
    if transition == "approve" and not services.may_approve(request.user, deliverable):
        raise PermissionDenied
    try:
        service(deliverable=deliverable, actor=request.user, request=request)
    except ValidationError as error:
        context = _deliverable_context(request, deliverable)
        context["errors"] = error.messages
        return render(request, "milestones/deliverable_detail.html", context, status=400)
    messages.success(request, "Deliverable updated.")
    return redirect("milestones:deliverable", deliverable_id=deliverable.pk)


def _deliverable_return(request, deliverable_id):
    deliverable = _deliverable(request, deliverable_id, Action.VIEW)
    if not (
        services.may_approve(request.user, deliverable)
        or can(request.user, Action.MANAGE, deliverable)
        or deliverable.reviewer_id == request.user.pk
    ):
        raise PermissionDenied
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.deliverable_return(
                deliverable=deliverable,
                actor=request.user,
                request=request,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Deliverable returned to preparation.")
            return redirect("milestones:deliverable", deliverable_id=deliverable.pk)
    context = _deliverable_context(request, deliverable, return_form=form)
    return render(request, "milestones/deliverable_detail.html", context, status=400)
