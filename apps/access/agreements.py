"""Data use agreements as people read them: Markdown rendered with markdown-it-py (already the
project's Markdown library, for the API guide; raw HTML off) and then sanitised with nh3 (the
Rust `ammonia` sanitiser) as a second, independent layer, so a committee's text can never
carry script, styles or event handlers into the page; and the accepted agreement as a PDF for the
partner's legal team, laid out by WeasyPrint from the same sanitised HTML.

WeasyPrint needs Debian's Pango (`libpango-1.0-0`, `libpangoft2-1.0-0`); `.ci/run` installs it.
It was chosen over a pure-Python PDF library because it lays out the agreement's own HTML
(headings, lists, tables) faithfully, with selectable, searchable text."""

import hashlib

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "s",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# CommonMark plus tables and strikethrough; raw HTML in the text is shown as text, not markup.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_agreement(text: str) -> SafeString:
    html = _MARKDOWN.render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "td": {"style"}, "th": {"style"}},
        # markdown-it aligns table cells with a style attribute; only alignment survives.
        filter_style_properties={"text-align"},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308  (sanitised by nh3 just above)


def acceptance_pdf(acceptance) -> bytes:
    """The accepted agreement: its text, who accepted it, when, from where, and the hash."""
    from weasyprint import CSS, HTML  # imported here: it loads Pango, which only this needs

    html = render_to_string(
        "access/agreement_pdf.html",
        {
            "acceptance": acceptance,
            "agreement": acceptance.agreement,
            "body": render_agreement(acceptance.agreement.text),
        },
    )
    # The page style is a file of its own, as every stylesheet of the site is (no inline CSS).
    stylesheet = CSS(filename=str(settings.BASE_DIR / "static" / "css" / "agreement-pdf.css"))
    return HTML(string=html).write_pdf(stylesheets=[stylesheet])
