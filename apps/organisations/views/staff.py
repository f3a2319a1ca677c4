"""The staff console: approval queue, decisions with confirmation, CSV import."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.organisations import selectors, services, tasks
from apps.organisations.forms import ImportForm, OptionalReasonForm, ReasonForm
from apps.organisations.models import OrganisationStatus
from apps.organisations.selectors import organisation_get_for_user
from apps.organisations.views.common import (
    GET_POST,
    form_data,
    form_errors,
    form_files,
    page_of,
    staff_required,
)

STAFF_QUEUE_SHOWN = 50


@staff_required
def staff_console(request):
    params = {key: request.GET.get(key, "").strip() for key in ("q", "status", "sort")}
    queue = selectors.staff_queue()
    context = {
        # The queue comes first but stays short; the full list below filters by status.
        "queue": queue[:STAFF_QUEUE_SHOWN],
        "queue_count": queue.count(),
        "page_obj": page_of(request, selectors.staff_organisations(**params)),
        "params": params,
        "statuses": OrganisationStatus.choices,
    }
    return render(request, "organisations/staff_console.html", context)


STAFF_DECISIONS = {
    "approve": (services.organisation_approve, None, "Approve", "{name} is approved."),
    "reject": (services.organisation_reject, ReasonForm, "Reject", "{name} was rejected."),
    "suspend": (
        services.organisation_suspend,
        ReasonForm,
        "Suspend",
        "{name} is suspended; its people's access through it has stopped.",
    ),
    "reinstate": (
        services.organisation_reinstate,
        OptionalReasonForm,
        "Reinstate",
        "{name} is approved again.",
    ),
}


@staff_required
@GET_POST
def staff_decide(request, slug, decision):
    organisation = organisation_get_for_user(request.user, slug)
    if decision not in STAFF_DECISIONS:
        raise Http404
    service, form_class, verb, done = STAFF_DECISIONS[decision]
    form = form_class(form_data(request)) if form_class else None
    if request.method == "POST" and (form is None or form.is_valid()):
        kwargs = {"reason": form.cleaned_data["reason"]} if form else {}
        try:
            service(organisation=organisation, actor=request.user, request=request, **kwargs)
        except ValidationError as error:
            if form is None or not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("organisations:staff_console")
            form_errors(form, error)
        else:
            messages.success(request, done.format(name=organisation.name))
            return redirect("organisations:staff_console")
    return render(
        request,
        "organisations/staff_decide.html",
        {
            "organisation": organisation,
            "domains": organisation.domains.order_by("domain"),
            "form": form,
            "verb": verb,
            "decision": decision,
        },
    )


@staff_required
@GET_POST
def staff_import(request):
    """Upload a CSV. A dry run is checked here (quick, writes nothing) and a clean file kept for
    "Import it now"; an import is saved and queued, and the progress page follows it."""
    if request.method == "POST" and request.POST.get("checked"):
        return _start_checked(request, request.POST["checked"])
    form = ImportForm(form_data(request), form_files(request))
    report = checked = None
    if request.method == "POST" and form.is_valid():
        text, name = form.cleaned_data["file"], request.FILES["file"].name
        dry_run = form.cleaned_data["dry_run"]
        if not dry_run:
            job = services.organisation_import_save(
                text=text, file_name=name, actor=request.user, checked=False
            )
            return _queue(job.pk)
        report = services.organisations_import_parse(text)
        if report.ok:
            checked = services.organisation_import_save(
                text=text, file_name=name, actor=request.user, checked=True
            )
    context = {
        "form": form,
        "report": report,
        "checked": checked,
        "imports": selectors.recent_imports(),
    }
    return render(request, "organisations/staff_import.html", context)


def _start_checked(request, import_id: str):
    try:
        started = services.organisation_import_start(import_id=import_id, actor=request.user)
    except ValidationError:  # not a UUID
        started = False
    if not started:
        messages.error(request, "That check has expired; choose the file again.")
        return redirect("organisations:staff_import")
    return _queue(import_id)


def _queue(import_id):
    tasks.run_import.delay_on_commit(str(import_id))
    return redirect("organisations:staff_import_progress", pk=import_id)


@staff_required
def staff_import_progress(request, pk):
    """The import's progress; htmx polls it every second and swaps in the fragment until the
    import has finished (the finished fragment carries no trigger, so polling stops)."""
    job = selectors.organisation_import_get_for_staff(request.user, pk)
    template = (
        "organisations/_import_progress.html"
        if request.htmx
        else ("organisations/staff_import_progress.html")
    )
    return render(request, template, {"job": job})


@staff_required
@require_POST
def staff_import_resume(request, pk):
    """Carry on a stopped import after its last committed line."""
    job = selectors.organisation_import_get_for_staff(request.user, pk)
    if not services.organisation_import_resume(import_id=job.pk):
        messages.error(request, "This import is not stopped; it cannot be resumed.")
        return redirect("organisations:staff_import_progress", pk=job.pk)
    return _queue(job.pk)


IMPORT_TEMPLATE_ROWS = [
    ["name", "kind", "country", "ror_id", "domains"],
    ["University of Northbridge", "university", "GB", "013meh722", "northbridge.ac.uk"],
    ["Brightwater Pharma", "pharma", "GB", "", "brightwater-pharma.example; bwp.example"],
]


@staff_required
def staff_import_template(request):
    """A CSV with the columns in order and two example rows, to fill in and upload."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="organisations-template.csv"'
    csv.writer(response).writerows(IMPORT_TEMPLATE_ROWS)
    return response
