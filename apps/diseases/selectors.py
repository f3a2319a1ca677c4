"""Reads over the disease-area taxonomy.

The taxonomy is small and staff-curated (tens of rows), so the tree is read in one query and
walked in Python; every function here costs at most one query whatever the depth.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from apps.diseases import icd10
from apps.diseases.models import DiseaseArea


def _children_by_parent() -> dict:
    children = defaultdict(list)
    for area_id, parent_id in DiseaseArea.objects.values_list("id", "parent_id"):
        children[parent_id].append(area_id)
    return children


def disease_area_descendant_ids(ids: Iterable) -> set:
    """The given areas and every area below them by parent chain (one query).

    `ids` may hold UUIDs or their string forms; unknown ids are ignored.
    """
    children = _children_by_parent()
    known = {area_id for area_ids in children.values() for area_id in area_ids}
    by_text = {str(area_id): area_id for area_id in known}
    pending = [by_text[str(i)] for i in ids if str(i) in by_text]
    found: set = set()
    while pending:
        area_id = pending.pop()
        if area_id in found:
            continue
        found.add(area_id)
        pending.extend(children.get(area_id, []))
    return found


def disease_area_ancestor_ids(area_id) -> list:
    """The chain of parents above `area_id`, nearest first (one query)."""
    parents = dict(DiseaseArea.objects.values_list("id", "parent_id"))
    by_text = {str(key): key for key in parents}
    chain, current = [], parents.get(by_text.get(str(area_id)))
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def disease_area_is_within(area_id, ancestor_id, *, by_icd10: bool = True) -> bool:
    """Is area `area_id` the same as, or a descendant of, area `ancestor_id`?

    Descent is the parent chain; with `by_icd10`, an area whose every ICD-10 entry lies inside
    the other area's codes counts too (e.g. a stand-alone "lung cancer" area, C34, within
    "cancer", C00-D48), so curators need not have linked them.
    """
    if str(area_id) == str(ancestor_id):
        return True
    if str(ancestor_id) in {str(i) for i in disease_area_ancestor_ids(area_id)}:
        return True
    if not by_icd10:
        return False
    rows = dict(
        DiseaseArea.objects.filter(id__in=[area_id, ancestor_id]).values_list("id", "icd10_codes")
    )
    inner = next((codes for key, codes in rows.items() if str(key) == str(area_id)), None)
    outer = next((codes for key, codes in rows.items() if str(key) == str(ancestor_id)), None)
    if not inner or not outer:
        return False
    return all(icd10.codes_cover(outer, code) for code in inner)


def disease_areas_within(area_ids: Iterable, allowed_ids: Iterable) -> bool:
    """Is every area in `area_ids` within one of `allowed_ids` (DUO DS: purpose ⊆ dataset)?"""
    allowed = list(allowed_ids)
    return all(any(disease_area_is_within(a, b) for b in allowed) for a in area_ids)


def disease_areas_covering(code: str) -> QuerySet:
    """Areas whose ICD-10 codes include `code` (a code or range), plus their ancestor areas.

    An invalid code is covered by nothing (empty queryset), never an error.
    """
    rows = list(DiseaseArea.objects.values_list("id", "parent_id", "icd10_codes"))
    parents = {area_id: parent_id for area_id, parent_id, _ in rows}
    matched = set()
    for area_id, _, codes in rows:
        if icd10.codes_cover(codes, code):
            current = area_id
            while current is not None and current not in matched:
                matched.add(current)
                current = parents.get(current)
    return DiseaseArea.objects.filter(id__in=matched)


def disease_area_tree() -> list[tuple[DiseaseArea, int]]:
    """Every area with its depth, parents before their children, siblings by name (one query)."""
    areas = list(DiseaseArea.objects.order_by("name"))
    by_id = {area.pk: area for area in areas}
    children = defaultdict(list)
    for area in areas:
        if area.parent_id is not None:
            area.parent = by_id[area.parent_id]  # fills the cache: no query per row
        children[area.parent_id].append(area)
    ordered: list[tuple[DiseaseArea, int]] = []

    def walk(parent_id, depth: int) -> None:
        for area in children.get(parent_id, []):
            ordered.append((area, depth))
            walk(area.id, depth + 1)

    walk(None, 0)
    return ordered
