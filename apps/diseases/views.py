"""The disease-area taxonomy: everyone may browse it; portal staff curate it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from apps.access.policy.subjects import is_staff
from apps.diseases.forms import DiseaseAreaForm
from apps.diseases.icd10 import describe
from apps.diseases.models import DiseaseArea
from apps.diseases.selectors import disease_area_tree
from apps.diseases.services import disease_area_create, disease_area_update


def _posted(request):
    return request.POST if request.method == "POST" else None


def area_list(request):
    rows = [
        (area, "— " * depth, [(code, describe(code)) for code in area.icd10_codes])
        for area, depth in disease_area_tree()
    ]
    return render(request, "diseases/list.html", {"rows": rows})


def _staff_only(request) -> None:
    if not is_staff(request.user):
        raise PermissionDenied


def _save(request, form: DiseaseAreaForm, area: DiseaseArea | None):
    data = form.cleaned_data
    try:
        if area is None:
            area = disease_area_create(actor=request.user, request=request, **data)
        else:
            area = disease_area_update(actor=request.user, area=area, request=request, **data)
    except ValidationError as error:
        for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    messages.success(request, f"“{area.name}” is saved.")
    return redirect("diseases:list")


@login_required
def area_create(request):
    _staff_only(request)
    form = DiseaseAreaForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, None)
        if response:
            return response
    status = 400 if form.errors else 200
    return render(request, "diseases/form.html", {"form": form}, status=status)


@login_required
def area_edit(request, slug):
    _staff_only(request)
    # Staff see every area; the taxonomy is public reference data, not tenant-owned.
    area = get_object_or_404(DiseaseArea, slug=slug)
    form = DiseaseAreaForm(_posted(request), instance=area)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, area)
        if response:
            return response
    status = 400 if form.errors else 200
    return render(request, "diseases/form.html", {"form": form, "area": area}, status=status)
