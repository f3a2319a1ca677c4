"""The staff console: approval queue, decisions with confirmation, CSV import."""

import csv
import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from apps.organisations import selectors, services
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
    form = ImportForm(form_data(request), form_files(request))
    report = checked = None
    if request.method == "POST" and request.POST.get("checked"):
        # "Import it now" after a clean dry run: the file the staff member already chose.
        key = _checked_key(request, request.POST["checked"])
        text = cache.get(key)
        cache.delete(key)  # one import per check
        if text is None:
            messages.error(request, "That check has expired; choose the file again.")
            return redirect("organisations:staff_import")
        return _import_and_report(request, text, dry_run=False)
    if request.method == "POST" and form.is_valid():
        dry_run = form.cleaned_data["dry_run"]
        if not dry_run:
            return _import_and_report(request, form.cleaned_data["file"], dry_run=False)
        report = _import_and_report(request, form.cleaned_data["file"], dry_run=True)
        if not report.errors:
            checked = {
                "token": secrets.token_urlsafe(16),
                "name": request.FILES["file"].name,
            }
            cache.set(
                _checked_key(request, checked["token"]), form.cleaned_data["file"], CHECKED_TTL
            )
    context = {"form": form, "report": report, "checked": checked}
    return render(request, "organisations/staff_import.html", context)


# A checked file waits this long for "Import it now" (in the cache, not the session: 5 MB).
CHECKED_TTL = 60 * 60


def _checked_key(request, token: str) -> str:
    return f"organisations:import-checked:{request.user.pk}:{token}"


def _import_and_report(request, text: str, *, dry_run: bool):
    report = services.organisations_import(
        text=text, actor=request.user, dry_run=dry_run, request=request
    )
    if report.written:
        messages.success(
            request,
            f"Imported: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged.",
        )
        return redirect("organisations:staff_console")
    if dry_run:
        return report
    return render(
        request, "organisations/staff_import.html", {"form": ImportForm(), "report": report}
    )


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
