import pytest
from django.core.exceptions import ValidationError

from apps.diseases import icd10


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("J45", "J45"), ("j449", "J44.9"), (" M05-M14 ", "M05-M14"), ("C00–D48", "C00-D48")],
)
def test_valid_codes_and_ranges_are_normalised(typed, stored):
    assert str(icd10.parse_entry(typed)) == stored


def test_unknown_code_error_names_the_code():
    with pytest.raises(ValidationError) as caught:
        icd10.validate_icd10_codes(["J45", "Q99.9X"])
    assert "Q99.9X" in " ".join(caught.value.messages)


def test_range_with_an_unknown_end_names_that_end():
    with pytest.raises(ValidationError) as caught:
        icd10.parse_entry("M05-M14.X")
    assert "M14.X" in caught.value.messages[0]


def test_backwards_range_is_refused():
    with pytest.raises(ValidationError) as caught:
        icd10.parse_entry("M14-M05")
    assert "backwards" in caught.value.messages[0]


def test_every_bad_entry_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        icd10.validate_icd10_codes(["XX1", "J45", "YY2"])
    assert len(caught.value.messages) == 2


def test_range_covers_descendants_of_its_last_code():
    assert icd10.codes_cover(["C00-D48"], "D48.9")
    assert icd10.codes_cover(["C00-D48"], "C34")
    assert not icd10.codes_cover(["C00-D48"], "D50")


def test_a_block_is_covered_by_a_range_holding_its_categories():
    assert icd10.codes_cover(["C00-D48"], "C00-C14")
    assert not icd10.codes_cover(["J44-J45"], "J40-J47")


def test_deduplicated_normalised_codes_keep_their_order():
    assert icd10.normalise_codes(["j45", "J44", "J45"]) == ["J45", "J44"]
