"""Writes for the disease-area taxonomy (portal staff curate it)."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.access.policy.subjects import is_staff
from apps.audit.services import audit_record
from apps.diseases.icd10 import normalise_codes
from apps.diseases.models import DiseaseArea

FIELDS = ("name", "slug", "description", "icd10_codes", "parent")


def _require_staff(actor) -> None:
    if not is_staff(actor):
        raise PermissionDenied


# Apps that keep a copy of an area's name (projects keep a searchable one) register here from
# their AppConfig.ready(): they build on diseases, so diseases cannot call them. Each is called
# with the renamed area inside the rename's transaction.
_on_rename: list[Callable[[DiseaseArea], None]] = []


def on_rename(refresh: Callable[[DiseaseArea], None]) -> None:
    if refresh not in _on_rename:
        _on_rename.append(refresh)


def _tell_copies_of_the_name(area: DiseaseArea) -> None:
    for refresh in _on_rename:
        refresh(area)


@transaction.atomic
def disease_area_create(
    *, actor, name: str, slug: str, icd10_codes, description: str = "", parent=None, request=None
) -> DiseaseArea:
    _require_staff(actor)
    area = DiseaseArea(
        name=" ".join(name.split()),
        slug=slug,
        description=description.strip(),
        icd10_codes=list(icd10_codes),
        parent=parent,
    )
    area.full_clean()  # validates every ICD-10 entry, naming any bad one
    area.icd10_codes = normalise_codes(area.icd10_codes)
    area.save()
    audit_record(
        actor=actor,
        action="disease_area.create",
        target=area,
        request=request,
        details={"icd10_codes": area.icd10_codes},
    )
    return area


@transaction.atomic
def disease_area_update(*, actor, area: DiseaseArea, request=None, **changes) -> DiseaseArea:
    _require_staff(actor)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    locked = DiseaseArea.objects.select_for_update().get(pk=area.pk)
    renamed = "name" in changes and changes["name"] != locked.name
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    locked.full_clean()
    locked.icd10_codes = normalise_codes(locked.icd10_codes)
    locked.save()
    if renamed:
        _tell_copies_of_the_name(locked)
    if changed:
        audit_record(
            actor=actor,
            action="disease_area.update",
            target=locked,
            request=request,
            details={"fields": changed, "icd10_codes": locked.icd10_codes},
        )
    return locked
