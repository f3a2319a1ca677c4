"""Audit pages and exports. Who sees what is the policy module's answer (policy/audit.py)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from apps.access import duo
from apps.access.models import DataAccessCommittee
from apps.access.policy import Action, get_for_user, visible
from apps.access.policy.audit import AUDIT
from apps.accounts.models import User
from apps.audit import exports, selectors
from apps.audit.forms import AuditFilterForm
from apps.audit.models import AuditEvent
from apps.datasets.models import Dataset
from apps.projects.models import Project

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _can_read_any_audit(user) -> bool:
    return visible(user, AuditEvent.objects.all()).exists()


@login_required
def event_list(request):
    """The audit log as far as the user may read it (all of it for staff), filtered."""
    if not request.user.is_staff and not _can_read_any_audit(request.user):
        raise PermissionDenied("The audit log is for staff, coordinators and data stewards.")
    form = AuditFilterForm(request.GET or None, user=request.user)
    events = selectors.audit_events_for(request.user)
    if form.is_valid():
        events = selectors.audit_events_filtered(events, form.cleaned_data)
    elif form.is_bound:
        events = events.none()
    if request.GET.get("format") == "csv" and not form.errors:
        return exports.csv_response(
            "audit-events.csv", exports.EVENT_HEADER, exports.event_rows(events)
        )
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page_obj": _page(request, events), "title": "Audit log"},
        status=400 if form.errors else 200,
    )


@login_required
def project_events(request, slug):
    project = get_for_user(request.user, Project.objects.all(), action=AUDIT, slug=slug)
    events = selectors.audit_events_for(request.user).filter(project_id=project.pk)
    if request.GET.get("format") == "csv":
        return exports.csv_response(
            f"audit-{project.slug}.csv", exports.EVENT_HEADER, exports.event_rows(events)
        )
    return render(
        request,
        "audit/event_list.html",
        {
            "page_obj": _page(request, events),
            "title": f"Audit log · {project.acronym}",
            "project": project,
        },
    )


@login_required
def dataset_downloads(request, pk):
    dataset = get_for_user(
        request.user, Dataset.objects.select_related("project"), action=AUDIT, pk=pk
    )
    events = selectors.dataset_download_events(request.user, dataset)
    if request.GET.get("format") == "csv":
        return exports.csv_response(
            f"downloads-{dataset.pk}.csv", exports.EVENT_HEADER, exports.event_rows(events)
        )
    return render(
        request,
        "audit/event_list.html",
        {
            "page_obj": _page(request, events),
            "title": f"Download log · {dataset.title}",
            "dataset": dataset,
        },
    )


GRANT_HEADER = [
    "person",
    "email",
    "organisation",
    "dataset",
    "status",
    "valid_from",
    "valid_until",
    "status_changed_at",
    "status_reason",
    "policy_version",
    "request_id",
]


def _grant_row(g) -> list:
    return [
        g.user.display_name,
        g.user.email,
        g.organisation.name,
        g.dataset.title,
        g.status,
        g.valid_from,
        g.valid_until,
        g.status_changed_at,
        g.status_reason,
        g.policy.version if g.policy else "",
        g.request_id,
    ]


@login_required
def dataset_access_export(request, pk):
    """Who had access to a dataset, and when (every grant, whatever its status now)."""
    dataset = get_for_user(request.user, Dataset.objects.all(), action=AUDIT, pk=pk)
    grants = selectors.dataset_grants(dataset).select_related("dataset")
    return exports.csv_response(
        f"access-{dataset.pk}.csv", GRANT_HEADER, (_grant_row(g) for g in grants.iterator())
    )


@login_required
def person_grants_export(request, pk):
    """Every grant a person held that the user may see (staff: all; the person: their own)."""
    person = _person(request, pk)
    grants = selectors.person_grants(request.user, person)
    return exports.csv_response(
        f"grants-{person.pk}.csv", GRANT_HEADER, (_grant_row(g) for g in grants.iterator())
    )


def _person(request, pk) -> User:
    """Staff may export anyone; everyone else only themselves (a person is not a policy
    object: there is no listing of people to leak through)."""
    if str(request.user.pk) != str(pk) and not request.user.is_staff:
        raise Http404("Not found")
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise Http404("Not found")
    return person


DECISION_HEADER = [
    "request_id",
    "dataset",
    "requester",
    "organisation",
    "organisation_kind",
    "status",
    "check_outcome",
    "submitted_at",
    "decided_at",
    "days_to_decision",
    "decided_by",
    "reason",
    "approved_until",
    "steward_approved_at",
    "escalated_to_staff",
]


@login_required
def committee_decisions_export(request, slug):
    committee = get_for_user(
        request.user,
        DataAccessCommittee.objects.select_related("project"),
        action=Action.VIEW_DETAILS,
        project__slug=slug,
    )
    rows = (
        [
            r.pk,
            r.dataset.title,
            r.requester.email,
            r.organisation.name,
            r.organisation.get_kind_display(),
            r.status,
            # The automatic check's outcome in words, as the pages show it ("Passes").
            duo.outcome_word(r.check_outcome, r.status),
            r.submitted_at,
            r.decided_at,
            selectors.days_between(r.submitted_at, r.decided_at),
            r.decided_by.email if r.decided_by else "",
            r.decision_reason,
            r.approved_until,
            r.steward_approved_at,
            r.escalated_to_staff,
        ]
        for r in selectors.committee_decisions(committee).iterator()
    )
    return exports.csv_response(f"decisions-{committee.project.slug}.csv", DECISION_HEADER, rows)
