"""The automatic check measured against the Broad DUOS matcher's published test cases.

Source: DataBiosphere/consent-ontology, `DataUseMatcherV4Test.java` (the current matcher; its
33 cases). Each case is translated into a dataset policy and a declaration of `apps.access.duo`
and run through `duo.check`. DUOS answers Approve, Deny or Abstain; we compare them with PASS,
a refusal (a hard FAIL) and NEEDS_DAC.

Every case is one of:
- AGREE: we give DUOS's answer;
- INTENTIONAL: we answer otherwise on purpose; the divergence is named and tied to its row of
  ACCESS.md, and the test pins our answer;
- NOT_EXPRESSIBLE: only for a case whose dataset has no single DUO permission (DUOS lets a
  dataset carry only a modifier; our policy always has exactly one permission).

The disease ids the matcher uses (Disease Ontology) map onto our ICD-10 areas through
`disease_map.csv`, beside this file.
"""

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from apps.access import duo
from apps.access.selectors import disease_label
from apps.diseases.models import DiseaseArea

TODAY = datetime.date(2026, 12, 6)
MAP_CSV = Path(__file__).with_name("disease_map.csv")

APPROVE, DENY, ABSTAIN = "Approve", "Deny", "Abstain"
AGREE, INTENTIONAL, NOT_EXPRESSIBLE = "agree", "intentional", "not expressible"
# What each DUOS answer is in our terms.
OURS = {APPROVE: "pass", DENY: "refused", ABSTAIN: "needs_dac"}


@dataclass(frozen=True)
class Case:
    duos_name: str
    duos: str  # DUOS's expected answer
    terms: dict | None  # our policy; None when not expressible
    declared: dict = field(default_factory=dict)
    kind: str = AGREE
    ours: str = ""  # our answer, when INTENTIONAL
    why: str = ""  # the ACCESS.md row and the reason, for INTENTIONAL and NOT_EXPRESSIBLE


def _rows() -> list[dict]:
    with MAP_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def area(doid: str) -> DiseaseArea:
    slug = next(row["area_slug"] for row in _rows() if row["doid"] == doid)
    return DiseaseArea.objects.get(slug=slug)


def disease(doid: str) -> duo.Disease:
    """A DUOS disease as our check sees it: the mapped area with its ancestor chain."""
    found = area(doid)
    lineage, current = {str(found.pk)}, found.parent
    while current is not None:
        lineage.add(str(current.pk))
        current = current.parent
    return duo.Disease(id=str(found.pk), name=disease_label(found), lineage=frozenset(lineage))


HMB_PURPOSE = {"is_health_research": True}
CASES = [
    Case(
        "testDiseaseMatching_positive", APPROVE, {"DS": ["DOID_162"]}, {"diseases": ["DOID_10155"]}
    ),
    Case("testDiseaseMatching_negative", DENY, {"DS": ["DOID_10155"]}, {"diseases": ["DOID_162"]}),
    Case("testHMB_positive_case_1", APPROVE, {"GRU": None}, HMB_PURPOSE),
    Case("testHMB_positive_case_2", APPROVE, {"HMB": None}, HMB_PURPOSE),
    # DUOS's purpose "generalUse" is research beyond health: our "general research that is not
    # health, medical or biomedical".
    Case("testHMB_negative_case_1", DENY, {"HMB": None}, {"is_general_research": True}),
    Case("testHMB_negative_case_2", DENY, {"DS": ["DOID_162"]}, HMB_PURPOSE),
    Case("testHMB_negative_case_3", DENY, {"POA": None}, HMB_PURPOSE),
    Case("testPOA_positive_case_1", APPROVE, {"GRU": None}, {"is_ancestry_research": True}),
    Case("testPOA_positive_case_2", APPROVE, {"POA": None}, {"is_ancestry_research": True}),
    Case("testPOA_negative_case_1", DENY, {"HMB": None}, {"is_ancestry_research": True}),
    Case("testPOA_negative_case_2", DENY, {"DS": ["DOID_162"]}, {"is_ancestry_research": True}),
    Case("testMDS_positive_case_1", APPROVE, {"GRU": None}, {"is_methods_development": True}),
    Case(
        "testMDS_positive_case_2",
        APPROVE,
        {"POA": None},
        {"is_methods_development": True},
        kind=INTENTIONAL,
        ours="refused",
        why="ACCESS.md POA row: the purpose must be ancestry or population origins; only the DS "
        "row lets methods development without the permitted research pass.",
    ),
    Case(
        "testMDS_positive_case_3", APPROVE, {"DS": ["DOID_162"]}, {"is_methods_development": True}
    ),
    Case("testMDS_positive_case_4", APPROVE, {"HMB": None}, {"is_methods_development": True}),
    *(
        Case(
            name,
            answer,
            None,
            kind=NOT_EXPRESSIBLE,
            why="The dataset carries only nonProfitUse, with no permission; our policy has "
            "exactly one permission (ACCESS.md 'Data-use policy of a dataset').",
        )
        for name, answer in [
            ("testNPU_positive_case_1", APPROVE),
            ("testNPU_positive_case_2", APPROVE),
            ("testNPU_positive_case_3", APPROVE),
            ("testNPU_negative_case_1", DENY),
        ]
    ),
    # The purpose asks for collaboration and says nothing else: with no research type declared
    # the committee looks at it (ACCESS.md research type row); COL itself is an obligation the
    # requester accepts, which passes.
    Case(
        "testAbstainDecision_COL",
        ABSTAIN,
        {"HMB": None, "COL": "The study's investigators"},
        {"attestations": frozenset({"COL"})},
    ),
    Case("testAbstainDecision_Other", ABSTAIN, {"HMB": None}, {}),
    Case("testAbstainDecision_SecondaryOther", ABSTAIN, {"HMB": None}, {}),
    # DUOS's purpose flag "ethics approval required": the committee verifies the approval.
    Case(
        "testAbstainDecision_ethicsApprovalRequired",
        ABSTAIN,
        {"HMB": None, "IRB": None},
        {"ethics_reference": "26/NE/0042", "ethics_expires_on": datetime.date(2027, 6, 30)},
    ),
    Case(
        "testAbstainDecision_controls",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "is_controls_only": True},
    ),
    Case(
        "testAbstainDecision_population",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "compares_population_groups": True},
    ),
    Case(
        "testAbstainDecision_gender",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_sex_or_gender": True},
    ),
    Case(
        "testAbstainDecision_pediatric",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_children": True},
    ),
    Case(
        "testAbstainDecision_vulnerablePopulations",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_vulnerable_populations": True},
    ),
    Case(
        "testAbstainDecision_illegalBehavior",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_illegal_behaviour": True},
    ),
    # Sexually transmitted diseases are among our stigmatising conditions.
    Case(
        "testAbstainDecision_sexualDiseases",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_stigmatising_conditions": True},
    ),
    Case(
        "testAbstainDecision_psychologicalTraits",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_psychological_traits": True},
    ),
    Case(
        "testAbstainDecision_notHealth",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "is_general_research": True},
        kind=INTENTIONAL,
        ours="refused",
        why="ACCESS.md HMB row: general (non-health) research fails, and the rule is hard; a "
        "purpose declaring it beside health research is refused, not sent to the committee.",
    ),
    Case(
        "testAbstainDecision_stigmatizedDiseases",
        ABSTAIN,
        {"HMB": None},
        {**HMB_PURPOSE, "involves_stigmatising_conditions": True},
    ),
]


def _translate(case: Case) -> tuple[duo.Declaration, duo.Policy]:
    terms = dict(case.terms)
    names = {}
    if "DS" in terms:
        areas = [area(doid) for doid in terms["DS"]]
        terms["DS"] = [str(a.pk) for a in areas]
        names = {str(a.pk): disease_label(a) for a in areas}
    declared = dict(case.declared)
    declared["diseases"] = tuple(disease(doid) for doid in declared.get("diseases", ()))
    declaration = duo.Declaration(
        requester_id="requester",
        organisation_id="organisation",
        organisation_is_for_profit=False,
        organisation_name="University of Testing",
        **declared,
    )
    return declaration, duo.Policy(terms=terms, names=names)


def our_answer(case: Case) -> str:
    result = duo.check(*_translate(case), today=TODAY)
    if result.refused:
        return "refused"
    return str(result.outcome)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.kind != NOT_EXPRESSIBLE], ids=lambda c: c.duos_name
)
def test_the_check_answers_each_duos_case_as_documented(case):
    expected = OURS[case.duos] if case.kind == AGREE else case.ours
    assert our_answer(case) == expected


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.kind == INTENTIONAL], ids=lambda c: c.duos_name
)
def test_each_intentional_divergence_differs_from_duos_and_names_its_access_md_row(case):
    assert case.ours != OURS[case.duos]
    assert "ACCESS.md" in case.why and " row" in case.why


def test_only_cases_without_a_single_duo_permission_are_not_expressible():
    for case in CASES:
        if case.kind == NOT_EXPRESSIBLE:
            assert case.terms is None and "no permission" in case.why
        else:
            assert sum(term in duo.PERMISSIONS for term in case.terms) == 1, case.duos_name


def test_every_duos_v4_case_is_translated_once_and_the_counts_add_up():
    names = [c.duos_name for c in CASES]
    assert len(names) == len(set(names)) == 33
    counts = {
        kind: sum(c.kind == kind for c in CASES) for kind in (AGREE, INTENTIONAL, NOT_EXPRESSIBLE)
    }
    assert counts == {AGREE: 27, INTENTIONAL: 2, NOT_EXPRESSIBLE: 4}


def test_the_disease_map_keeps_parents_above_children():
    rows = _rows()
    mapped = {row["doid"]: row["area_slug"] for row in rows if row["area_slug"]}
    checked = 0
    for row in rows:
        if not row["area_slug"]:
            continue
        child = DiseaseArea.objects.get(slug=row["area_slug"])
        assert child.icd10_codes == row["icd10"].split(", ")
        ancestors = {a.slug for a in _ancestors(child)}
        for parent_doid in row["duos_parents"].split():
            if parent_doid in mapped:
                assert mapped[parent_doid] in ancestors, (row["doid"], parent_doid)
                checked += 1
    assert checked >= 1


def _ancestors(area: DiseaseArea) -> list[DiseaseArea]:
    chain, current = [], area.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


def test_reasons_on_the_duos_cases_name_diseases_by_name_and_code_never_by_id():
    case = next(c for c in CASES if c.duos_name == "testDiseaseMatching_negative")
    declaration, policy = _translate(case)
    result = duo.check(declaration, policy, today=TODAY)
    ds = next(v for v in result.verdicts if v.term == "DS")
    assert ds.reason == (
        "Research on Cancer (C00-D48) is outside what this dataset allows: only research on "
        "Colorectal cancer (C18-C20)."
    )
