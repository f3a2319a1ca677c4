"""Highlighted snippets, made safe: the text is escaped first and only then given <mark> tags.

On PostgreSQL `ts_headline` picks the fragment and marks the matched words with two
private-use characters (`MARK_OPEN`, `MARK_CLOSE`); elsewhere `highlight_text` finds the first
matching word itself. Either way the snippet's own text is escaped as a whole before those
markers become <mark>…</mark>, so nothing stored in a title or description can reach the page
as markup, and a stray marker character in stored text is simply dropped.
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.search.documents import MARK_CLOSE, MARK_OPEN

SNIPPET_CHARS = 220


SEPARATOR = " · "  # between the fields of one snippet (empty fields leave no trace)
_SEPARATORS = re.compile(r"\s*·(?:\s*·)*\s*")


def tidy(text: str) -> str:
    """One separator between fields, none at either end, however many fields were empty."""
    return _SEPARATORS.sub(SEPARATOR, text or "").strip(" ·")


def from_headline(marked: str) -> SafeString:
    """HTML for a `ts_headline` result whose matches are wrapped in the marker characters."""
    text = escape(tidy(marked))
    out, open_mark = [], False
    for char in text:
        if char == MARK_OPEN and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif char == MARK_CLOSE and open_mark:
            out.append("</mark>")
            open_mark = False
        elif char not in (MARK_OPEN, MARK_CLOSE):
            out.append(char)
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above; only our own tags added


def highlight_text(text: str, words) -> SafeString:
    """A window of `text` around the first word starting with one of `words`, marked."""
    text = tidy(" ".join((text or "").replace(MARK_OPEN, "").replace(MARK_CLOSE, "").split()))
    pattern = _pattern(words)
    start = 0
    if pattern is not None:
        found = pattern.search(text)
        if found and found.start() > SNIPPET_CHARS // 3:
            start = text.rfind(" ", 0, found.start() - SNIPPET_CHARS // 3) + 1
    window = text[start : start + SNIPPET_CHARS]
    prefix = "… " if start else ""
    suffix = " …" if start + SNIPPET_CHARS < len(text) else ""
    if pattern is None:
        return mark_safe(escape(prefix + window + suffix))  # noqa: S308 - escaped
    marked = pattern.sub(lambda m: f"{MARK_OPEN}{m.group(0)}{MARK_CLOSE}", window)
    return from_headline(prefix + marked + suffix)


def _pattern(words):
    words = [word for word in words if word]
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)
