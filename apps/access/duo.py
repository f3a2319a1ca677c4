"""The automatic check of an access request against a dataset's data-use policy (ACCESS.md).

Pure functions: no database, no clock. Callers build a `Declaration` (what the requester says
they will do, and who they are) and a `Policy` (the dataset's DUO terms with their values) and
call `check(...)`. Every rule returns PASS, FAIL or NEEDS_DAC with a reason; the results combine
as: all PASS → PASS; any FAIL → FAIL; otherwise NEEDS_DAC. A FAIL on a *hard* rule refuses the
request at once; anything else goes to the committee with the verdicts shown.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apps.access.models import CheckOutcome

PASS = CheckOutcome.PASS
FAIL = CheckOutcome.FAIL
NEEDS_DAC = CheckOutcome.NEEDS_DAC

PERMISSIONS = ("NRES", "GRU", "HMB", "DS", "POA")
ATTESTATIONS = ("PUB", "COL", "RTN", "MOR")
# Not a DUO term: the label under which the sensitive-purpose rule reports.
SENSITIVE = "SENSITIVE"


@dataclass(frozen=True)
class Disease:
    """A disease named in the purpose, with its own id and every ancestor's (`lineage`), so
    that research on a child of a policy's disease matches and research on a parent does not."""

    id: str
    name: str
    lineage: frozenset[str]


@dataclass(frozen=True)
class Declaration:
    requester_id: str
    organisation_id: str
    organisation_is_for_profit: bool
    diseases: tuple[Disease, ...] = ()
    is_commercial: bool = False
    is_ancestry_research: bool = False
    is_methods_development: bool = False
    is_clinical_care: bool = False
    is_general_research: bool = False
    is_controls_only: bool = False
    involves_vulnerable_populations: bool = False
    involves_stigmatising_conditions: bool = False
    is_genetic_study: bool = False
    location: str = ""
    ethics_reference: str = ""
    ethics_expires_on: datetime.date | None = None
    attestations: frozenset[str] = frozenset()

    @property
    def has_research_type(self) -> bool:
        return bool(
            self.diseases
            or self.is_ancestry_research
            or self.is_methods_development
            or self.is_clinical_care
            or self.is_general_research
        )


@dataclass(frozen=True)
class Policy:
    """`terms` maps a DUO shorthand to its typed value (None for terms without one);
    `names` maps ids inside values (disease areas, organisations, people) to display names."""

    terms: Mapping[str, Any]
    names: Mapping[str, str] = field(default_factory=dict)

    def name_of(self, value_id: Any) -> str:
        return self.names.get(str(value_id), str(value_id))

    def names_of(self, ids: Iterable[Any]) -> str:
        return ", ".join(sorted(self.name_of(i) for i in ids or ())) or "none"


@dataclass(frozen=True)
class Verdict:
    term: str
    outcome: str
    reason: str
    hard: bool = False

    @property
    def refuses(self) -> bool:
        return self.outcome == FAIL and self.hard

    def as_dict(self) -> dict:
        return {
            "term": self.term,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "hard": self.hard,
        }


@dataclass(frozen=True)
class CheckResult:
    verdicts: tuple[Verdict, ...]

    @property
    def outcome(self) -> str:
        return combine(self.verdicts)

    @property
    def refused(self) -> bool:
        return any(v.refuses for v in self.verdicts)

    @property
    def refusal_reasons(self) -> list[str]:
        return [f"{v.term}: {v.reason}" for v in self.verdicts if v.refuses]

    def as_list(self) -> list[dict]:
        return [v.as_dict() for v in self.verdicts]


def combine(verdicts: Iterable[Verdict]) -> str:
    outcomes = [v.outcome for v in verdicts]
    if any(o == FAIL for o in outcomes):
        return FAIL
    if all(o == PASS for o in outcomes):
        return PASS
    return NEEDS_DAC


def _ok(term: str, reason: str) -> Verdict:
    return Verdict(term, PASS, reason)


def _fail(term: str, reason: str, *, hard: bool = True) -> Verdict:
    return Verdict(term, FAIL, reason, hard=hard)


def _dac(term: str, reason: str) -> Verdict:
    return Verdict(term, NEEDS_DAC, reason)


# --- Permissions ---------------------------------------------------------------------------------
def _diseases_outside(declaration: Declaration, allowed: Iterable[Any]) -> list[Disease]:
    allowed_ids = {str(i) for i in allowed or ()}
    return [d for d in declaration.diseases if not (d.lineage & allowed_ids)]


def check_nres(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("NRES", "No restriction on the purpose.")


def check_gru(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("GRU", "Any research purpose is allowed, ancestry and methods included.")


def check_hmb(d: Declaration, p: Policy, value: Any) -> Verdict:
    if d.is_ancestry_research:
        return _fail("HMB", "Ancestry or population-origins research is not health research.")
    if d.is_general_research:
        return _fail("HMB", "Only health, medical or biomedical research is allowed.")
    return _ok("HMB", "The purpose is health, medical or biomedical research.")


def check_ds(d: Declaration, p: Policy, value: Any) -> Verdict:
    allowed = p.names_of(value)
    if d.is_ancestry_research or d.is_general_research:
        return _fail("DS", f"Only research on {allowed} is allowed.")
    if d.diseases:
        outside = _diseases_outside(d, value)
        if outside:
            named = ", ".join(x.name for x in outside)
            return _fail("DS", f"{named} is outside the permitted disease areas ({allowed}).")
        return _ok("DS", f"Every disease in the purpose falls within {allowed}.")
    if d.is_methods_development and "NMDS" not in p.terms:
        return _ok("DS", "Methods development on a dataset without NMDS.")
    return _dac("DS", f"The purpose names no disease; the committee checks it against {allowed}.")


def check_poa(d: Declaration, p: Policy, value: Any) -> Verdict:
    if d.diseases:
        return _fail("POA", "Only ancestry research is allowed; disease research is not.")
    if not d.is_ancestry_research:
        return _fail("POA", "Only population-origins or ancestry research is allowed.")
    return _ok("POA", "The purpose is ancestry research.")


# --- Modifiers -----------------------------------------------------------------------------------
def check_npu(d: Declaration, p: Policy, value: Any, term: str = "NPU") -> Verdict:
    if d.organisation_is_for_profit:
        return _fail(term, "Only not-for-profit organisations may use this dataset.")
    return _ok(term, "The requesting organisation is not for profit.")


def check_ncu(d: Declaration, p: Policy, value: Any, term: str = "NCU") -> Verdict:
    if d.is_commercial:
        return _fail(term, "Commercial use is not allowed.")
    if d.organisation_is_for_profit:
        return _dac(term, "A for-profit organisation declares non-commercial use.")
    return _ok(term, "Non-commercial use declared.")


def check_npuncu(d: Declaration, p: Policy, value: Any) -> Verdict:
    # NPUNCU is the parent of NPU and NCU: both must hold; report the worse of the two.
    npu = check_npu(d, p, value, term="NPUNCU")
    return npu if npu.outcome == FAIL else check_ncu(d, p, value, term="NPUNCU")


def check_npoa(d: Declaration, p: Policy, value: Any) -> Verdict:
    if d.is_ancestry_research:
        return _fail("NPOA", "Ancestry or population-origins research is prohibited.")
    return _ok("NPOA", "No ancestry research declared.")


def check_nmds(d: Declaration, p: Policy, value: Any) -> Verdict:
    if not d.is_methods_development:
        return _ok("NMDS", "No methods development declared.")
    within_ds = "DS" in p.terms and d.diseases and not _diseases_outside(d, p.terms["DS"])
    if within_ds:
        return _ok("NMDS", "Methods development within the permitted disease.")
    return _fail("NMDS", "Methods development is not allowed outside the permitted disease.")


def check_is(d: Declaration, p: Policy, value: Any) -> Verdict:
    if d.organisation_id in {str(i) for i in value or ()}:
        return _ok("IS", "The requester's organisation is named.")
    return _fail("IS", f"Only members of {p.names_of(value)} may use this dataset.")


def check_us(d: Declaration, p: Policy, value: Any) -> Verdict:
    if d.requester_id in {str(i) for i in value or ()}:
        return _ok("US", "The requester is a named user.")
    return _fail("US", "Only named users may use this dataset.")


def check_irb(d: Declaration, p: Policy, value: Any, *, today: datetime.date) -> Verdict:
    if not d.ethics_reference:
        return _fail("IRB", "No ethics approval reference was supplied.", hard=False)
    if d.ethics_expires_on and d.ethics_expires_on <= today:
        return _fail("IRB", f"The ethics approval expired on {d.ethics_expires_on:%d %b %Y}.")
    until = f", valid until {d.ethics_expires_on:%d %b %Y}" if d.ethics_expires_on else ""
    return _dac("IRB", f"Ethics approval {d.ethics_reference}{until}: the committee verifies it.")


def check_gs(d: Declaration, p: Policy, value: Any) -> Verdict:
    allowed = ", ".join(str(v) for v in value or ()) or "unspecified"
    where = d.location or "no location declared"
    return _dac("GS", f"Use limited to {allowed}; declared: {where}. The committee verifies it.")


def check_rs(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _dac(
        "RS", f"Use limited to research on {value or 'a stated topic'}; committee verifies."
    )


def check_gso(d: Declaration, p: Policy, value: Any) -> Verdict:
    declared = "a genetic study" if d.is_genetic_study else "not a genetic study"
    return _dac("GSO", f"Genetic studies only; the purpose is declared {declared}.")


def _attestation(term: str, what: str) -> Callable:
    def check_attestation(d: Declaration, p: Policy, value: Any) -> Verdict:
        if term in d.attestations:
            return _ok(term, f"The requester accepts: {what}.")
        return _fail(term, f"The requester has not accepted: {what}.", hard=False)

    return check_attestation


def check_mor(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _attestation("MOR", f"no publication before {value or 'the moratorium date'}")(
        d, p, value
    )


def check_ts(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("TS", f"The grant will end at most {value} months after approval.")


def check_ps(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("PS", f"Use is limited to the project {p.name_of(value)}.")


def check_cc(d: Declaration, p: Policy) -> Verdict:
    """Clinical care is a modifier that *allows*: a clinical-care purpose fails without it."""
    if not d.is_clinical_care:
        return _ok("CC", "No clinical-care use declared.")
    if "CC" in p.terms:
        return _ok("CC", "Clinical-care use is allowed.")
    return _fail("CC", "Clinical-care use is not allowed on this dataset.")


def check_sensitive(d: Declaration) -> Verdict:
    flags = []
    if d.is_controls_only:
        flags.append("research on controls only")
    if d.involves_vulnerable_populations:
        flags.append("vulnerable populations")
    if d.involves_stigmatising_conditions:
        flags.append("stigmatising conditions")
    if not d.has_research_type:
        flags.append("no research type declared")
    if flags:
        return _dac(SENSITIVE, "Sensitive purpose: " + "; ".join(flags) + ".")
    return _ok(SENSITIVE, "No sensitive purpose declared.")


TERM_CHECKS: dict[str, Callable[[Declaration, Policy, Any], Verdict]] = {
    "NRES": check_nres,
    "GRU": check_gru,
    "HMB": check_hmb,
    "DS": check_ds,
    "POA": check_poa,
    "NPU": check_npu,
    "NCU": check_ncu,
    "NPUNCU": check_npuncu,
    "NPOA": check_npoa,
    "NMDS": check_nmds,
    "IS": check_is,
    "US": check_us,
    "GS": check_gs,
    "RS": check_rs,
    "GSO": check_gso,
    "PUB": _attestation("PUB", "make the results available to the scientific community"),
    "COL": _attestation("COL", "collaborate with the named investigators"),
    "RTN": _attestation("RTN", "return derived data to the resource"),
    "MOR": check_mor,
    "TS": check_ts,
    "PS": check_ps,
}


def _term_order(shorthand: str) -> tuple[int, str]:
    return (0 if shorthand in PERMISSIONS else 1, shorthand)


def check(declaration: Declaration, policy: Policy, *, today: datetime.date) -> CheckResult:
    """Run every rule the policy calls for, plus the ones that always apply (clinical care and
    sensitive purposes). A policy without a permission fails softly: the committee decides."""
    verdicts: list[Verdict] = []
    if not any(term in policy.terms for term in PERMISSIONS):
        verdicts.append(_fail("POLICY", "The dataset has no data-use permission.", hard=False))
    for shorthand in sorted(policy.terms, key=_term_order):
        value = policy.terms[shorthand]
        if shorthand == "IRB":
            verdicts.append(check_irb(declaration, policy, value, today=today))
        elif shorthand == "CC":
            continue  # reported once below, whether or not the policy names it
        elif shorthand in TERM_CHECKS:
            verdicts.append(TERM_CHECKS[shorthand](declaration, policy, value))
        else:
            verdicts.append(_dac(shorthand, "No automatic rule for this term; committee decides."))
    verdicts.append(check_cc(declaration, policy))
    verdicts.append(check_sensitive(declaration))
    return CheckResult(tuple(verdicts))
