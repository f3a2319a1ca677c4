import pytest

from apps.diseases.models import DiseaseArea
from apps.diseases.selectors import (
    disease_area_descendant_ids,
    disease_area_is_within,
    disease_area_tree,
    disease_areas_covering,
    disease_areas_within,
)

pytestmark = pytest.mark.django_db


def area(slug):
    return DiseaseArea.objects.get(slug=slug)


def test_seeded_taxonomy_has_the_required_areas():
    codes = dict(DiseaseArea.objects.values_list("slug", "icd10_codes"))
    assert codes["respiratory-inflammatory-disease"] == ["J44-J45"]
    assert codes["joint-inflammatory-disease"] == ["M05-M14"]
    assert codes["cancer"] == ["C00-D48"]
    assert area("non-small-cell-lung-cancer").parent == area("lung-cancer")


def test_descendants_include_the_area_itself_and_every_level_below(django_assert_num_queries):
    cancer_id = str(area("cancer").id)
    with django_assert_num_queries(1):
        ids = disease_area_descendant_ids([cancer_id])
    assert area("cancer").id in ids
    assert area("non-small-cell-lung-cancer").id in ids
    assert area("asthma").id not in ids


def test_unknown_ids_give_no_descendants():
    assert disease_area_descendant_ids(["not-an-id"]) == set()


def test_child_is_within_parent_but_parent_is_not_within_child():
    assert disease_area_is_within(area("non-small-cell-lung-cancer").id, area("cancer").id)
    assert not disease_area_is_within(area("cancer").id, area("lung-cancer").id)
    assert disease_area_is_within(area("asthma").id, area("asthma").id)


def test_unlinked_area_inside_another_by_icd10_codes_counts_as_within():
    stray = DiseaseArea.objects.create(
        name="Small cell lung cancer", slug="sclc", icd10_codes=["C34"]
    )
    assert disease_area_is_within(stray.id, area("cancer").id)
    assert not disease_area_is_within(stray.id, area("cancer").id, by_icd10=False)


def test_purpose_areas_must_all_be_inside_the_allowed_ones():
    allowed = [area("respiratory-inflammatory-disease").id]
    assert disease_areas_within([area("asthma").id, area("copd").id], allowed)
    assert not disease_areas_within([area("asthma").id, area("lung-cancer").id], allowed)


def test_areas_covering_a_code_include_their_ancestors():
    slugs = set(disease_areas_covering("C34.1").values_list("slug", flat=True))
    assert {"cancer", "lung-cancer", "non-small-cell-lung-cancer"} <= slugs
    assert "asthma" not in slugs


def test_invalid_code_is_covered_by_nothing():
    assert not disease_areas_covering("ZZZ").exists()


def test_tree_lists_parents_before_children():
    tree = [(a.slug, depth) for a, depth in disease_area_tree()]
    assert tree.index(("cancer", 0)) < tree.index(("lung-cancer", 1))
    assert tree.index(("lung-cancer", 1)) < tree.index(("non-small-cell-lung-cancer", 2))


def test_parent_loop_is_refused():
    from django.core.exceptions import ValidationError

    cancer = area("cancer")
    cancer.parent = area("non-small-cell-lung-cancer")
    with pytest.raises(ValidationError):
        cancer.full_clean()
