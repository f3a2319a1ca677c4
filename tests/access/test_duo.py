"""The automatic check as pure functions: one declaration, one policy, verdicts with reasons."""

import datetime
import itertools

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
    assert result.refusal_reasons == [
        "Commercial use is declared, and this dataset allows only non-commercial use."
    ]


def test_a_for_profit_organisation_declaring_non_commercial_use_goes_to_the_committee():
    result = run({"GRU": None, "NCU": None}, diseases=(ASTHMA,), organisation_is_for_profit=True)
    assert not result.refused
    assert verdict(result, "NCU").outcome == duo.NEEDS_DAC
    assert result.outcome == duo.NEEDS_DAC


def test_any_request_from_a_for_profit_organisation_is_refused_on_an_npu_dataset():
    result = run(
        {"GRU": None, "NPU": None},
        diseases=(ASTHMA,),
        organisation_is_for_profit=True,
        organisation_name="Pharmaco Ltd",
    )
    assert result.refused
    assert verdict(result, "NPU").reason == (
        "Only not-for-profit organisations may use this dataset, and Pharmaco Ltd is for profit."
    )


def test_research_on_a_child_of_the_ds_disease_passes_and_on_its_parent_fails():
    assert run({"DS": ["respiratory"]}, diseases=(ASTHMA,)).outcome == duo.PASS
    parent = run({"DS": ["asthma"]}, diseases=(RESPIRATORY,))
    assert parent.refused
    assert "Research on Respiratory is outside what this dataset allows" in (
        verdict(parent, "DS").reason
    )


def test_a_disease_outside_the_ds_area_is_refused_naming_the_disease():
    policy = duo.Policy(
        terms={"DS": ["respiratory"]}, names={"respiratory": "Respiratory diseases (J00-J99)"}
    )
    result = duo.check(declare(diseases=(ASTHMA, CANCER)), policy, today=TODAY)
    assert result.refused
    assert verdict(result, "DS").reason == (
        "Research on Cancer is outside what this dataset allows: only research on Respiratory "
        "diseases (J00-J99)."
    )


def test_a_purpose_naming_no_disease_passes_ds_only_as_methods_development_without_nmds():
    assert verdict(run({"DS": ["x"]}, is_methods_development=True), "DS").outcome == duo.PASS
    # With NMDS, methods development without a disease is a declared non-disease purpose: the
    # DS row refuses it, as does NMDS.
    with_nmds = run({"DS": ["x"], "NMDS": None}, is_methods_development=True)
    assert verdict(with_nmds, "DS").refuses
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


# --- Research types as DUO has them, and reasons for people ---------------------------------
def test_health_research_without_a_disease_passes_hmb_with_a_reason_naming_the_research_type():
    result = run({"HMB": None}, is_health_research=True)
    assert result.outcome == duo.PASS
    assert verdict(result, "HMB").reason == (
        "The health-research permission covers health, medical or biomedical research without "
        "a specific disease."
    )
    assert verdict(result, duo.SENSITIVE).outcome == duo.PASS


def test_health_research_without_a_disease_is_broader_than_a_ds_dataset_allows():
    policy = duo.Policy(terms={"DS": ["asthma"]}, names={"asthma": "Asthma (J45)"})
    result = duo.check(declare(is_health_research=True), policy, today=TODAY)
    assert result.refused
    assert "only research on Asthma (J45)" in verdict(result, "DS").reason


def test_every_form_research_type_counts_as_a_research_type():
    for flag in duo.RESEARCH_TYPES:
        declared = declare(**{flag: True})
        assert declared.has_research_type, flag
        assert duo.RESEARCH_TYPES[flag] in declared.research_words()


@pytest.mark.parametrize("flag", list(duo.SENSITIVE_TOPICS))
def test_each_sensitive_topic_goes_to_the_committee_and_is_named(flag):
    result = run({"HMB": None}, is_health_research=True, **{flag: True})
    assert result.outcome == duo.NEEDS_DAC
    assert duo.SENSITIVE_TOPICS[flag] in verdict(result, duo.SENSITIVE).reason


def test_an_empty_purpose_on_hmb_needs_the_committee_and_no_reason_claims_health_research():
    result = run({"HMB": None})
    assert verdict(result, "HMB").outcome == duo.NEEDS_DAC
    reasons = " ".join(v.reason for v in result.verdicts)
    assert "permission covers" not in reasons
    assert "declares no research type" in verdict(result, duo.SENSITIVE).reason


def test_nmds_on_a_dataset_without_a_disease_never_mentions_a_permitted_disease():
    for permission in ("GRU", "HMB"):
        result = run({permission: None, "NMDS": None}, is_methods_development=True)
        nmds = verdict(result, "NMDS")
        assert nmds.refuses
        assert "disease" not in nmds.reason


def test_a_gs_reason_names_the_declared_location_and_the_allowed_countries():
    policy = duo.Policy(
        terms={"GRU": None, "GS": ["GB", "FR"]},
        names={"GB": "United Kingdom", "FR": "France"},
    )
    outside = duo.check(declare(diseases=(CANCER,), location="Brazil"), policy, today=TODAY)
    assert verdict(outside, "GS").reason == (
        "The declared location, Brazil, is outside the allowed France and United Kingdom; the "
        "committee verifies it."
    )
    inside = duo.check(declare(diseases=(CANCER,), location="france"), policy, today=TODAY)
    assert "is within the allowed" in verdict(inside, "GS").reason


def test_months_and_dates_read_as_words():
    assert verdict(run({"GRU": None, "TS": 12}, diseases=(CANCER,)), "TS").reason == (
        "Access will end at most 12 months after approval."
    )
    mor = run({"GRU": None, "MOR": "2027-03-01"}, diseases=(CANCER,))
    assert "before 1 Mar 2027" in verdict(mor, "MOR").reason


def test_verdicts_read_as_words():
    assert duo.verdict_word(duo.PASS) == "Passes"
    assert duo.verdict_word(duo.NEEDS_DAC) == "Needs the committee"
    assert duo.verdict_word(duo.FAIL, hard=True) == "Refused"
    assert duo.verdict_word(duo.FAIL, hard=False) == "Does not pass; the committee decides"


# --- No two reasons contradict each other -----------------------------------------------------
POLICIES = [
    {"GRU": None, "NMDS": None, "NPOA": None, "NCU": None},
    {"HMB": None, "NMDS": None, "NPU": None},
    {"DS": ["respiratory"], "NMDS": None, "GS": ["GB"], "IRB": None},
    {"DS": ["respiratory"]},
    {"POA": None, "CC": None, "GSO": None},
    {"NRES": None, "PUB": None, "TS": 12},
]
FLAGS = list(duo.RESEARCH_TYPES)


@pytest.mark.parametrize("terms", POLICIES, ids=lambda t: "+".join(t))
def test_no_two_reasons_contradict_each_other_for_any_declared_research_types(terms):
    from tests.access.contradictions import contradictions

    checked = 0
    for with_disease in (False, True):
        for picked in itertools.chain.from_iterable(
            itertools.combinations(FLAGS, n) for n in range(len(FLAGS) + 1)
        ):
            for for_profit in (False, True):
                declaration = declare(
                    diseases=(ASTHMA,) if with_disease else (),
                    organisation_is_for_profit=for_profit,
                    **dict.fromkeys(picked, True),
                )
                result = duo.check(declaration, duo.Policy(terms=terms), today=TODAY)
                reasons = [v.reason for v in result.verdicts]
                assert not contradictions(reasons, declaration, terms)
                checked += 1
    assert checked == 2 * 2 ** len(FLAGS) * 2


def test_the_contradiction_finder_catches_the_reasons_the_issue_reported():
    """Guards the finder: the HMB and sensitive reasons of issue 17, in today's phrasing, are
    caught, and so are a for-profit clash and a DS-only phrase on a GRU dataset."""
    from tests.access.contradictions import contradictions

    reported = [
        "The health-research permission covers health, medical or biomedical research.",
        "The purpose declares no research type, so the committee looks at it.",
    ]
    clashes = contradictions(reported, declare(is_health_research=True))
    assert any(" vs " in clash for clash in clashes)
    profit = ["Pharmaco Ltd is not for profit.", "Only …, and Pharmaco Ltd is for profit."]
    assert contradictions(profit, declare())
    nmds = ["Methods development is not allowed outside the permitted disease."]
    assert contradictions(nmds, declare(), {"GRU": None, "NMDS": None})
    consistent = [
        "The health-research permission covers methods development.",
        "No sensitive topic is declared.",
    ]
    assert contradictions(consistent, declare(is_methods_development=True)) == []
