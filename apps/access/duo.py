"""The automatic check of an access request against a dataset's data-use policy (ACCESS.md).

Pure functions: no database, no clock. Callers build a `Declaration` (what the requester says
they will do, and who they are) and a `Policy` (the dataset's DUO terms with their values) and
call `check(...)`. Every rule returns PASS, FAIL or NEEDS_DAC with a reason; the results combine
as: all PASS → PASS; any FAIL → FAIL; otherwise NEEDS_DAC. A FAIL on a *hard* rule refuses the
request at once; anything else goes to the committee with the verdicts shown.

Reasons are for people (ACCESS.md): one plain sentence naming the values involved — disease
areas with their ICD-10 codes, organisations, countries, months, dates — never an id, and no
two reasons on one request say opposite things about what was declared. Every sentence about
the declared purpose is built from `Declaration.research_types()` so they cannot disagree.
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
# Not a DUO term either: a policy without a permission (the committee decides).
NO_PERMISSION = "POLICY"

# The research types of ACCESS.md's "research type" row, as the request form offers them: each
# form choice maps one-to-one onto a Declaration flag (named diseases are the `diseases` list).
RESEARCH_TYPES: dict[str, str] = {
    "is_health_research": "health, medical or biomedical research without a specific disease",
    "is_ancestry_research": "population origins or ancestry research",
    "is_methods_development": "methods development",
    "is_clinical_care": "clinical care",
    "is_general_research": "general research that is not health, medical or biomedical",
}
# The sensitive topics DUOS asks about (ACCESS.md "sensitive purposes"), same one-to-one rule.
SENSITIVE_TOPICS: dict[str, str] = {
    "is_controls_only": "research on controls only",
    "involves_vulnerable_populations": "vulnerable populations",
    "involves_children": "children as a vulnerable population",
    "involves_stigmatising_conditions": "stigmatising conditions",
    "compares_population_groups": "population origins or ancestry used to compare groups",
    "involves_sex_or_gender": "sex or gender identity",
    "involves_illegal_behaviour": "illegal behaviour",
    "involves_psychological_traits": "psychological traits",
}
# Verdicts as words (ACCESS.md "Reasons are for people"); a soft FAIL does not refuse.
VERDICT_WORDS = {
    str(PASS): "Passes",
    str(NEEDS_DAC): "Needs the committee",
    str(FAIL): "Refused",
}
SOFT_FAIL_WORD = "Does not pass; the committee decides"


def verdict_word(outcome: str, hard: bool = True) -> str:
    if str(outcome) == str(FAIL) and not hard:
        return SOFT_FAIL_WORD
    return VERDICT_WORDS.get(str(outcome), str(outcome))


def outcome_word(outcome: str, status: str = "") -> str:
    """A request's overall outcome in words; a FAIL refuses only when the request was refused
    (`status` is the request's status)."""
    if str(outcome) == str(FAIL):
        return "Refused" if status == "refused" else SOFT_FAIL_WORD
    return verdict_word(outcome) if outcome else ""


def day(value: datetime.date | str | None) -> str:
    """A date as people read it in the portal: 26 Nov 2026."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%b %Y}"


def months(value: Any) -> str:
    return "1 month" if str(value) == "1" else f"{value} months"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def listed(items: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    items = [str(i) for i in items if str(i)]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Disease:
    """A disease named in the purpose, with its own id and every ancestor's (`lineage`), so
    that research on a child of a policy's disease matches and research on a parent does not.
    `name` is what people read, e.g. "Asthma (J45)"."""

    id: str
    name: str
    lineage: frozenset[str]


@dataclass(frozen=True)
class Declaration:
    requester_id: str
    organisation_id: str
    organisation_is_for_profit: bool
    organisation_name: str = ""
    diseases: tuple[Disease, ...] = ()
    is_commercial: bool = False
    is_health_research: bool = False
    is_ancestry_research: bool = False
    is_methods_development: bool = False
    is_clinical_care: bool = False
    is_general_research: bool = False
    is_controls_only: bool = False
    involves_vulnerable_populations: bool = False
    involves_children: bool = False
    involves_stigmatising_conditions: bool = False
    compares_population_groups: bool = False
    involves_sex_or_gender: bool = False
    involves_illegal_behaviour: bool = False
    involves_psychological_traits: bool = False
    is_genetic_study: bool = False
    location: str = ""
    ethics_reference: str = ""
    ethics_expires_on: datetime.date | None = None
    attestations: frozenset[str] = frozenset()

    @property
    def has_research_type(self) -> bool:
        return bool(self.diseases) or any(getattr(self, flag) for flag in RESEARCH_TYPES)

    @property
    def disease_names(self) -> str:
        return listed(d.name for d in self.diseases)

    def research_types(self) -> list[str]:
        """The declared research types in words, named diseases first."""
        words = [f"research on {self.disease_names}"] if self.diseases else []
        return words + [label for flag, label in RESEARCH_TYPES.items() if getattr(self, flag)]

    def research_words(self) -> str:
        return listed(self.research_types()) or "no research type"

    def sensitive_topics(self) -> list[str]:
        return [label for flag, label in SENSITIVE_TOPICS.items() if getattr(self, flag)]

    @property
    def organisation(self) -> str:
        return self.organisation_name or "the requesting organisation"


@dataclass(frozen=True)
class Policy:
    """`terms` maps a DUO shorthand to its typed value (None for terms without one);
    `names` maps ids and codes inside values (disease areas, organisations, people, country
    codes) to the names people read."""

    terms: Mapping[str, Any]
    names: Mapping[str, str] = field(default_factory=dict)

    def name_of(self, value_id: Any) -> str:
        return self.names.get(str(value_id), str(value_id))

    def names_of(self, ids: Iterable[Any] | Any) -> str:
        if ids in (None, "", []):
            return ""
        if not isinstance(ids, list | tuple | set | frozenset):
            ids = [ids]
        return listed(sorted(self.name_of(i) for i in ids))


@dataclass(frozen=True)
class Verdict:
    term: str
    outcome: str
    reason: str
    hard: bool = False

    @property
    def refuses(self) -> bool:
        return self.outcome == FAIL and self.hard

    @property
    def word(self) -> str:
        return verdict_word(self.outcome, self.hard)

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
        return [v.reason for v in self.verdicts if v.refuses]

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


def _declared(d: Declaration, *, start: bool = False) -> str:
    """'the purpose declares X': the one phrasing every rule uses for the research type."""
    return f"{'The' if start else 'the'} purpose declares {d.research_words()}"


# --- Permissions ---------------------------------------------------------------------------------
def _diseases_outside(declaration: Declaration, allowed: Iterable[Any]) -> list[Disease]:
    allowed_ids = {str(i) for i in allowed or ()}
    return [d for d in declaration.diseases if not (d.lineage & allowed_ids)]


def check_nres(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("NRES", "This dataset has no restriction on the purpose of use.")


def check_gru(d: Declaration, p: Policy, value: Any) -> Verdict:
    if not d.has_research_type:
        return _ok("GRU", "This dataset allows any research purpose.")
    return _ok("GRU", f"The general-research permission covers {d.research_words()}.")


def check_hmb(d: Declaration, p: Policy, value: Any) -> Verdict:
    only = "this dataset allows only health, medical or biomedical research"
    if d.is_ancestry_research or d.is_general_research:
        return _fail("HMB", f"{_declared(d, start=True)}, but {only}.")
    if d.has_research_type:
        return _ok("HMB", f"The health-research permission covers {d.research_words()}.")
    return _dac(
        "HMB",
        "No research type is declared, so the committee checks that the purpose is health, "
        "medical or biomedical research, the only research this dataset allows.",
    )


def check_ds(d: Declaration, p: Policy, value: Any) -> Verdict:
    allowed = p.names_of(value)
    only = f"this dataset allows only research on {allowed}"
    if d.is_ancestry_research or d.is_general_research:
        return _fail("DS", f"{_declared(d, start=True)}, but {only}.")
    if d.diseases:
        outside = _diseases_outside(d, value)
        if outside:
            named = listed(x.name for x in outside)
            return _fail(
                "DS",
                f"Research on {named} is outside what this dataset allows: only research on "
                f"{allowed}.",
            )
        return _ok("DS", f"Research on {d.disease_names} falls within {allowed}.")
    if d.is_health_research:
        # Health research without a specific disease is broader than X, like research on a
        # parent of X: it fails (ACCESS.md DS row; DUOS denies it too).
        return _fail(
            "DS",
            f"{_declared(d, start=True)}, which is broader than what this dataset allows: only "
            f"research on {allowed}.",
        )
    if d.is_methods_development and "NMDS" not in p.terms:
        return _ok(
            "DS",
            f"{_declared(d, start=True)}; methods development needs no named disease here "
            f"(there is no NMDS condition), other research must be on {allowed}.",
        )
    if d.is_methods_development:
        return _fail(
            "DS",
            f"The purpose names no disease, and this dataset allows methods development only "
            f"within research on {allowed}.",
        )
    if d.has_research_type:
        return _dac(
            "DS",
            f"{_declared(d, start=True)} but names no disease; the committee checks it against "
            f"{allowed}.",
        )
    return _dac(
        "DS",
        f"The purpose names no disease and no research type; the committee checks it against "
        f"{allowed}.",
    )


def check_poa(d: Declaration, p: Policy, value: Any) -> Verdict:
    only = "this dataset allows only population origins or ancestry research"
    if d.diseases or d.is_health_research or not d.is_ancestry_research:
        return _fail("POA", f"{_declared(d, start=True)}, but {only}.")
    return _ok("POA", f"{_declared(d, start=True)}, which is what this dataset allows.")


# --- Modifiers -----------------------------------------------------------------------------------
def check_npu(d: Declaration, p: Policy, value: Any, term: str = "NPU") -> Verdict:
    if d.organisation_is_for_profit:
        return _fail(
            term,
            f"Only not-for-profit organisations may use this dataset, and {d.organisation} is "
            "for profit.",
        )
    return _ok(term, f"{_cap(d.organisation)} is not for profit.")


def check_ncu(d: Declaration, p: Policy, value: Any, term: str = "NCU") -> Verdict:
    if d.is_commercial:
        return _fail(
            term, "Commercial use is declared, and this dataset allows only non-commercial use."
        )
    if d.organisation_is_for_profit:
        return _dac(
            term,
            f"{_cap(d.organisation)} is for profit and declares non-commercial use; the "
            "committee checks it.",
        )
    return _ok(term, "Non-commercial use is declared.")


def check_npuncu(d: Declaration, p: Policy, value: Any) -> Verdict:
    # NPUNCU is the parent of NPU and NCU: both must hold; report the worse of the two.
    npu = check_npu(d, p, value, term="NPUNCU")
    return npu if npu.outcome == FAIL else check_ncu(d, p, value, term="NPUNCU")


def check_npoa(d: Declaration, p: Policy, value: Any) -> Verdict:
    if d.is_ancestry_research:
        return _fail(
            "NPOA",
            "Population origins or ancestry research is declared, and this dataset prohibits it.",
        )
    return _ok("NPOA", "No population origins or ancestry research is declared.")


def check_nmds(d: Declaration, p: Policy, value: Any) -> Verdict:
    if not d.is_methods_development:
        return _ok("NMDS", "No methods development is declared.")
    if "DS" not in p.terms:
        return _fail(
            "NMDS",
            "Methods development is declared, and this dataset does not allow methods development.",
        )
    allowed = p.names_of(p.terms["DS"])
    if d.diseases and not _diseases_outside(d, p.terms["DS"]):
        return _ok("NMDS", f"Methods development within {allowed} is allowed.")
    return _fail(
        "NMDS",
        f"Methods development is allowed only within {allowed}, and the purpose "
        f"declares {d.research_words()}.",
    )


def check_is(d: Declaration, p: Policy, value: Any) -> Verdict:
    members = p.names_of(value)
    if d.organisation_id in {str(i) for i in value or ()}:
        return _ok("IS", f"The request comes through {d.organisation}, one of {members}.")
    return _fail(
        "IS",
        f"Only members of {members} may use this dataset, and the request comes through "
        f"{d.organisation}.",
    )


def check_us(d: Declaration, p: Policy, value: Any) -> Verdict:
    people = p.names_of(value)
    if d.requester_id in {str(i) for i in value or ()}:
        return _ok("US", f"The requester is one of the named users ({people}).")
    return _fail("US", f"Only the named users ({people}) may use this dataset.")


def check_irb(d: Declaration, p: Policy, value: Any, *, today: datetime.date) -> Verdict:
    if not d.ethics_reference:
        return _fail(
            "IRB", "This dataset needs ethics approval, and no reference was given.", hard=False
        )
    if d.ethics_expires_on and d.ethics_expires_on <= today:
        return _fail(
            "IRB",
            f"Ethics approval {d.ethics_reference} expired on {day(d.ethics_expires_on)}, "
            "so a grant would end before it starts.",
        )
    until = f", valid until {day(d.ethics_expires_on)}" if d.ethics_expires_on else ""
    return _dac("IRB", f"Ethics approval {d.ethics_reference}{until}: the committee verifies it.")


def _same_place(declared: str, code: str, name: str) -> bool:
    text = declared.strip().casefold()
    return text in {code.casefold(), name.casefold()}


def check_gs(d: Declaration, p: Policy, value: Any) -> Verdict:
    codes = [str(v) for v in value or ()]
    allowed = p.names_of(codes) or "the stated region"
    if not d.location.strip():
        return _dac(
            "GS",
            f"Use is limited to {allowed} and no location was declared; the "
            "committee checks where the data will be used.",
        )
    inside = any(_same_place(d.location, c, p.name_of(c)) for c in codes)
    where = "within" if inside else "outside"
    return _dac(
        "GS",
        f"The declared location, {d.location.strip()}, is {where} the allowed {allowed}; "
        "the committee verifies it.",
    )


def check_rs(d: Declaration, p: Policy, value: Any) -> Verdict:
    topic = value or "a stated topic"
    return _dac("RS", f"Use is limited to research on {topic}; the committee verifies it.")


def check_gso(d: Declaration, p: Policy, value: Any) -> Verdict:
    declared = "a genetic study" if d.is_genetic_study else "not a genetic study"
    return _dac(
        "GSO",
        f"Only genetic studies are allowed and the purpose is declared {declared}; "
        "the committee verifies it.",
    )


# The obligations (attestations) as the requester accepts them, in the first person.
OBLIGATIONS = {
    "PUB": "I will make the results available to the wider scientific community.",
    "COL": "I will collaborate with the dataset's named investigators{value}.",
    "RTN": "I will return derived or enriched data to the resource.",
    "MOR": "I will not publish results before {value}.",
}


def obligation_text(term: str, value: Any = None) -> str:
    if term == "MOR":
        return OBLIGATIONS["MOR"].format(value=day(value) or "the moratorium date")
    if term == "COL":
        return OBLIGATIONS["COL"].format(value=f" ({value})" if value else "")
    return OBLIGATIONS[term]


def _attestation(term: str) -> Callable:
    def check_attestation(d: Declaration, p: Policy, value: Any) -> Verdict:
        promise = obligation_text(term, value).rstrip(".")
        promise = promise[0].lower() + promise[1:]
        if term in d.attestations:
            return _ok(term, f"The requester accepts: “{promise}”.")
        return _fail(term, f"The requester has not accepted: “{promise}”.", hard=False)

    return check_attestation


def check_ts(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("TS", f"Access will end at most {months(value)} after approval.")


def check_ps(d: Declaration, p: Policy, value: Any) -> Verdict:
    return _ok("PS", f"Use is limited to the project {p.name_of(value)}.")


def check_cc(d: Declaration, p: Policy) -> Verdict:
    """Clinical care is a modifier that *allows*: a clinical-care purpose fails without it."""
    if not d.is_clinical_care:
        return _ok("CC", "No clinical-care use is declared.")
    if "CC" in p.terms:
        return _ok("CC", "Clinical-care use is declared, and this dataset allows it.")
    return _fail("CC", "Clinical-care use is declared, and this dataset does not allow it.")


def check_sensitive(d: Declaration) -> Verdict:
    topics = d.sensitive_topics()
    parts = [f"involves {listed(topics)}"] if topics else []
    if not d.has_research_type:
        parts.append("declares no research type")
    if parts:
        return _dac(SENSITIVE, f"The purpose {' and '.join(parts)}, so the committee looks at it.")
    return _ok(SENSITIVE, "No sensitive topic is declared.")


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
    "PUB": _attestation("PUB"),
    "COL": _attestation("COL"),
    "RTN": _attestation("RTN"),
    "MOR": _attestation("MOR"),
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
        verdicts.append(
            _fail(NO_PERMISSION, "This dataset has no data-use permission yet.", hard=False)
        )
    for shorthand in sorted(policy.terms, key=_term_order):
        value = policy.terms[shorthand]
        if shorthand == "IRB":
            verdicts.append(check_irb(declaration, policy, value, today=today))
        elif shorthand == "CC":
            continue  # reported once below, whether or not the policy names it
        elif shorthand in TERM_CHECKS:
            verdicts.append(TERM_CHECKS[shorthand](declaration, policy, value))
        else:
            verdicts.append(
                _dac(
                    shorthand,
                    "There is no automatic rule for this condition; the committee decides.",
                )
            )
    verdicts.append(check_cc(declaration, policy))
    verdicts.append(check_sensitive(declaration))
    return CheckResult(tuple(verdicts))
