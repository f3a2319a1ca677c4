"""Two reasons on one request must never say opposite things (ACCESS.md "Reasons are for
people"). `contradictions(reasons, declaration)` lists the clashes it finds: pairs of
statements that cannot both hold, and any reason quoting the declared research types other
than as the declaration words them."""

import itertools
import re

from apps.access import duo

# (A, B): a reason saying A and another saying B contradict each other.
OPPOSITES = [
    (" is not for profit", " is for profit"),
    ("No methods development is declared", "Methods development is declared"),
    ("No clinical-care use is declared", "Clinical-care use is declared"),
    ("Non-commercial use is declared", "Commercial use is declared"),
    (
        "No population origins or ancestry research is declared",
        "Population origins or ancestry research is declared",
    ),
    ("No sensitive topic is declared", "The purpose involves"),
    ("declared a genetic study", "declared not a genetic study"),
]
# Ways of saying that nothing was declared, against "the purpose declares X" (X being something).
NO_TYPE = ("declares no research type", "No research type is declared", "no research type;")
SOME_TYPE = re.compile(r"(?:purpose declares|permission covers) (?!no research type)")
# Phrases that only make sense for some policies: never when that term is absent.
NEEDS_TERM = {"permitted disease": "DS"}


def contradictions(
    reasons: list[str], declaration: duo.Declaration, terms: dict | None = None
) -> list[str]:
    found = []
    for first, second in itertools.permutations(reasons, 2):
        for a, b in OPPOSITES:
            if a in first and b in second:
                found.append(f"{first!r} vs {second!r}")
    says_none = [r for r in reasons if any(p in r for p in NO_TYPE)]
    says_some = [r for r in reasons if SOME_TYPE.search(r)]
    found += [f"{a!r} vs {b!r}" for a in says_none for b in says_some]
    words = declaration.research_words()
    for reason in reasons:
        for lead in ("purpose declares ", "permission covers "):
            if lead in reason and f"{lead}{words}" not in reason:
                found.append(f"{reason!r} words the research types otherwise than {words!r}")
        for phrase, term in NEEDS_TERM.items():
            if phrase in reason and term not in (terms or {}):
                found.append(f"{reason!r} speaks of {phrase} without {term}")
    return found
