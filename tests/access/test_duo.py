"""The automatic check as pure functions: one declaration, one policy, verdicts with reasons."""

import datetime

import pytest

from apps.access import duo

TODAY = datetime.date(2026, 11, 26)
ASTHMA = duo.Disease(id="asthma", name="Asthma", lineage=frozenset({"asthma", "respiratory"}))
RESPIRATORY = duo.Disease(id="respiratory", name="Respiratory", lineage=frozenset({"respiratory"}))
CANCER = duo.Disease(id="cancer", name="Cancer", lineage=frozenset({"cancer"}))


def declare(**overrides) -> duo.Declaration:
    values = {"requester_id": "u1", "organisation_id": "o1", "organisation_is_for_profit": False}
    values.update(overrides)
    return duo.Declaration(**values)


def run(terms: dict, **declared) -> duo.CheckResult:
    return duo.check(declare(**declared), duo.Policy(terms=terms), today=TODAY)


def verdict(result: duo.CheckResult, term: str) -> duo.Verdict:
    return next(v for v in result.verdicts if v.term == term)


def test_commercial_use_of_an_ncu_dataset_is_refused_with_the_reason():
    result = run({"GRU": None, "NCU": None}, diseases=(ASTHMA,), is_commercial=True)
    assert result.refused
    assert result.outcome == duo.FAIL
    assert "NCU: Commercial use is not allowed." in result.refusal_reasons


def test_a_for_profit_organisation_declaring_non_commercial_use_goes_to_the_committee():
    result = run({"GRU": None, "NCU": None}, diseases=(ASTHMA,), organisation_is_for_profit=True)
    assert not result.refused
    assert verdict(result, "NCU").outcome == duo.NEEDS_DAC
    assert result.outcome == duo.NEEDS_DAC


def test_any_request_from_a_for_profit_organisation_is_refused_on_an_npu_dataset():
    result = run({"GRU": None, "NPU": None}, diseases=(ASTHMA,), organisation_is_for_profit=True)
    assert result.refused
    assert (
        verdict(result, "NPU").reason == "Only not-for-profit organisations may use this dataset."
    )


def test_research_on_a_child_of_the_ds_disease_passes_and_on_its_parent_fails():
    assert run({"DS": ["respiratory"]}, diseases=(ASTHMA,)).outcome == duo.PASS
    parent = run({"DS": ["asthma"]}, diseases=(RESPIRATORY,))
    assert parent.refused
    assert "outside the permitted disease areas" in verdict(parent, "DS").reason


def test_a_disease_outside_the_ds_area_is_refused_naming_the_disease():
    policy = duo.Policy(terms={"DS": ["respiratory"]}, names={"respiratory": "Respiratory"})
    result = duo.check(declare(diseases=(ASTHMA, CANCER)), policy, today=TODAY)
    assert result.refused
    assert verdict(result, "DS").reason == (
        "Cancer is outside the permitted disease areas (Respiratory)."
    )


def test_a_purpose_naming_no_disease_passes_ds_only_as_methods_development_without_nmds():
    assert verdict(run({"DS": ["x"]}, is_methods_development=True), "DS").outcome == duo.PASS
    with_nmds = run({"DS": ["x"], "NMDS": None}, is_methods_development=True)
    assert verdict(with_nmds, "DS").outcome == duo.NEEDS_DAC
    assert verdict(with_nmds, "NMDS").refuses


def test_methods_development_within_a_ds_match_passes_nmds():
    result = run(
        {"DS": ["respiratory"], "NMDS": None}, diseases=(ASTHMA,), is_methods_development=True
    )
    assert verdict(result, "NMDS").outcome == duo.PASS


@pytest.mark.parametrize(
    ("terms", "declared", "expected"),
    [
        ({"GRU": None}, {"is_ancestry_research": True}, duo.PASS),
        ({"GRU": None}, {"is_methods_development": True}, duo.PASS),
        ({"HMB": None}, {"is_ancestry_research": True}, duo.FAIL),
        ({"HMB": None}, {"is_general_research": True}, duo.FAIL),
        ({"HMB": None}, {"diseases": (CANCER,)}, duo.PASS),
        ({"POA": None}, {"is_ancestry_research": True}, duo.PASS),
        ({"POA": None}, {"diseases": (CANCER,)}, duo.FAIL),
        ({"GRU": None, "NPOA": None}, {"is_ancestry_research": True}, duo.FAIL),
        ({"GRU": None}, {"is_clinical_care": True}, duo.FAIL),
        ({"GRU": None, "CC": None}, {"is_clinical_care": True}, duo.PASS),
        ({"GRU": None, "IS": ["o1"]}, {"diseases": (CANCER,)}, duo.PASS),
        ({"GRU": None, "IS": ["o2"]}, {"diseases": (CANCER,)}, duo.FAIL),
        ({"GRU": None, "US": ["u1"]}, {"diseases": (CANCER,)}, duo.PASS),
        ({"GRU": None, "US": ["u2"]}, {"diseases": (CANCER,)}, duo.FAIL),
        ({"GRU": None, "TS": 6, "PS": "p"}, {"diseases": (CANCER,)}, duo.PASS),
        ({"NRES": None}, {"diseases": (CANCER,)}, duo.PASS),
    ],
)
def test_each_permission_and_hard_modifier_gives_its_verdict(terms, declared, expected):
    assert run(terms, **declared).outcome == expected


def test_sensitive_purposes_and_a_purpose_without_research_type_need_the_committee():
    assert verdict(run({"GRU": None}), duo.SENSITIVE).outcome == duo.NEEDS_DAC
    controls = run({"GRU": None}, diseases=(CANCER,), is_controls_only=True)
    assert controls.outcome == duo.NEEDS_DAC
    assert "controls only" in verdict(controls, duo.SENSITIVE).reason


def test_ethics_approval_is_verified_by_the_committee_and_an_expired_one_refuses():
    supplied = run({"GRU": None, "IRB": None}, diseases=(CANCER,), ethics_reference="21/NE/0001")
    assert verdict(supplied, "IRB").outcome == duo.NEEDS_DAC
    missing = run({"GRU": None, "IRB": None}, diseases=(CANCER,))
    assert verdict(missing, "IRB").outcome == duo.FAIL and not missing.refused
    expired = run(
        {"GRU": None, "IRB": None},
        diseases=(CANCER,),
        ethics_reference="21/NE/0001",
        ethics_expires_on=TODAY,
    )
    assert expired.refused


def test_attestations_must_be_accepted_but_a_missing_one_does_not_refuse():
    accepted = run({"GRU": None, "PUB": None}, diseases=(CANCER,), attestations=frozenset({"PUB"}))
    assert accepted.outcome == duo.PASS
    missing = run({"GRU": None, "PUB": None}, diseases=(CANCER,))
    assert missing.outcome == duo.FAIL and not missing.refused


def test_location_and_genetic_scope_terms_always_go_to_the_committee():
    result = run({"GRU": None, "GS": ["GB"], "GSO": None}, diseases=(CANCER,), location="GB")
    assert verdict(result, "GS").outcome == duo.NEEDS_DAC
    assert verdict(result, "GSO").outcome == duo.NEEDS_DAC


def test_npuncu_needs_both_a_not_for_profit_organisation_and_non_commercial_use():
    assert run({"GRU": None, "NPUNCU": None}, diseases=(CANCER,), is_commercial=True).refused
    assert run(
        {"GRU": None, "NPUNCU": None}, diseases=(CANCER,), organisation_is_for_profit=True
    ).refused


def test_verdicts_serialise_for_the_snapshot():
    result = run({"GRU": None}, diseases=(CANCER,))
    assert {"term": "GRU", "outcome": "pass", "hard": False}.items() <= result.as_list()[0].items()
