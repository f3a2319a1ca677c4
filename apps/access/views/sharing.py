"""The sharing view of one partner organisation (#18): 404 for anyone but its admins and data
stewards (and staff)."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render

from apps.access.policy import visible
from apps.access.policy.committee_work import VIEW_SHARING
from apps.access.sharing import CSV_HEADER, grant_csv_rows, project_backlogs, stewarded_grants
from apps.access.views.common import page_of
from apps.audit.services import audit_record
from apps.organisations.models import Organisation


def _organisation(request, slug) -> Organisation:
    found = visible(request.user, Organisation.objects.filter(slug=slug), VIEW_SHARING).first()
    if found is None:
        raise Http404("Not found")
    return found


def sharing_view(request, slug):
    organisation = _organisation(request, slug)
    grants = stewarded_grants(organisation)
    return render(
        request,
        "access/sharing.html",
        {
            "organisation": organisation,
            "page_obj": page_of(request, grants),
            "backlogs": project_backlogs(organisation),
        },
    )


def sharing_csv(request, slug):
    organisation = _organisation(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-sharing.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    writer.writerows(grant_csv_rows(stewarded_grants(organisation)))
    audit_record(
        actor=request.user,
        action="organisation.sharing.export",
        target=organisation,
        request=request,
        organisation_id=organisation.pk,
    )
    return response
