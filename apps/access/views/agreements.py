"""Data use agreements (#18): the dataset's versions, and the accepted agreement as a PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.access.agreements import acceptance_pdf, render_agreement
from apps.access.forms import apply_service_errors
from apps.access.forms_committee import AgreementForm
from apps.access.models import AgreementAcceptance, DataUseAgreement
from apps.access.policy import Action, get_for_user, visible
from apps.access.services.agreements import agreement_version_add, current_agreement_for
from apps.audit.services import audit_record
from apps.datasets.models import Dataset


def agreement_context(user, access_request) -> dict:
    """The agreement the requester accepts when submitting, and the one they accepted."""
    current = current_agreement_for(access_request.dataset)
    if current is not None and not visible(user, DataUseAgreement.objects.filter(pk=current.pk)):
        current = None
    accepted = (
        visible(user, AgreementAcceptance.objects.filter(request_id=access_request.pk))
        .select_related("agreement", "user")
        .first()
    )
    return {
        "agreement": current,
        "agreement_html": render_agreement(current.text) if current else "",
        "acceptance": accepted,
    }


@login_required
@require_http_methods(["GET", "POST"])
def dataset_agreement(request, pk):
    dataset = get_for_user(
        request.user, Dataset.objects.select_related("project"), action=Action.EDIT, pk=pk
    )
    current = current_agreement_for(dataset)
    initial = {"title": current.title, "text": current.text} if current else None
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = agreement_version_add(
                dataset=dataset, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Version {agreement.version} of the agreement is saved.")
            return redirect("access:dataset_agreement", pk=pk)
    return render(
        request,
        "access/agreement_form.html",
        {
            "dataset": dataset,
            "form": form,
            "current": current,
            "current_html": render_agreement(current.text) if current else "",
            "versions": visible(
                request.user, DataUseAgreement.objects.filter(dataset=dataset)
            ).order_by("-version"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def acceptance_pdf_download(request, pk):
    acceptance = get_for_user(
        request.user,
        AgreementAcceptance.objects.select_related(
            "agreement", "user", "request", "request__dataset", "request__organisation"
        ),
        pk=pk,
    )
    pdf = acceptance_pdf(acceptance)
    audit_record(
        actor=request.user,
        action="agreement.pdf.download",
        target=acceptance,
        request=request,
        organisation_id=acceptance.request.organisation_id,
        project_id=acceptance.request.dataset.project_id,
        details={"version": acceptance.agreement.version, "sha256": acceptance.text_sha256},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"data-use-agreement-v{acceptance.agreement.version}-{acceptance.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
