"""DUO values as words on pages and in e-mails (ACCESS.md "Reasons are for people")."""

from django import template

from apps.access import duo
from apps.access.selectors import term_label

register = template.Library()


@register.filter
def duo_term(shorthand: str) -> str:
    return term_label(str(shorthand))


@register.filter
def verdict_word(verdict: dict) -> str:
    """A stored verdict ({"outcome", "hard", …}) as a word: Passes, Needs the committee…"""
    return duo.verdict_word(verdict.get("outcome", ""), bool(verdict.get("hard")))


@register.filter
def outcome_word(outcome: str, status: str = "") -> str:
    return duo.outcome_word(outcome, status)


@register.filter
def obligation(shorthand: str, value=None) -> str:
    if shorthand not in duo.OBLIGATIONS:
        return term_label(shorthand)
    return duo.obligation_text(shorthand, value)
