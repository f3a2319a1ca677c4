"""Issue 2, acceptance 4 (no template or stylesheet loads anything from another host) and the
strict CSP (no inline script, style or event handler in any page template)."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
EXTERNAL = r"""\s*=\s*["']?\s*(?:https?:)?//"""
# Attributes that make the browser fetch something; href only fetches on <link>.
LOADING_ATTRIBUTE = re.compile(rf"""\b(?:src|srcset|poster|data|background){EXTERNAL}""", re.I)
LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
LINK_HREF = re.compile(rf"""\bhref{EXTERNAL}""", re.I)
CSS_EXTERNAL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""", re.I)

INLINE_STYLE = re.compile(r"""\sstyle\s*=|<style[\s>]""", re.I)
# hx-on:* runs its code through eval, which the CSP forbids as well.
INLINE_HANDLER = re.compile(r"""\s(?:on[a-z]+\s*=\s*["']|hx-on[:-])""", re.I)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def template_files() -> list[Path]:
    roots = [ROOT / "templates", *sorted((ROOT / "apps").glob("*/templates"))]
    return [path for root in roots for path in root.rglob("*.html")]


def page_templates() -> list[Path]:
    """Templates rendered as web pages (e-mails are not under the CSP and need inline styles)."""
    return [path for path in template_files() if "emails" not in path.parts]


def stylesheet_files() -> list[Path]:
    return sorted((ROOT / "static").rglob("*.css"))


def external_loads(text: str) -> list[str]:
    found = [match.group(0) for match in LOADING_ATTRIBUTE.finditer(text)]
    found += [tag for tag in LINK_TAG.findall(text) if LINK_HREF.search(tag)]
    return found


def inline_code(text: str) -> list[str]:
    found = [m.group(0) for m in INLINE_STYLE.finditer(text)]
    found += [m.group(0) for m in INLINE_HANDLER.finditer(text)]
    found += [
        m.group(0)
        for m in SCRIPT_TAG.finditer(text)
        if "src=" not in m.group(1) and "application/json" not in m.group(1)
    ]
    return found


def test_there_are_templates_and_stylesheets_to_check():
    assert len(template_files()) > 20
    assert any(path.name == "bootstrap.min.css" for path in stylesheet_files())


def test_no_template_loads_anything_from_another_host():
    offenders = [
        f"{path.relative_to(ROOT)}: {found}"
        for path in template_files()
        for found in external_loads(path.read_text())
    ]
    assert offenders == []


def test_no_stylesheet_loads_anything_from_another_host():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in stylesheet_files()
        for match in CSS_EXTERNAL.finditer(path.read_text())
    ]
    assert offenders == []


def test_no_page_template_has_inline_scripts_styles_or_event_handlers():
    offenders = [
        f"{path.relative_to(ROOT)}: {found}"
        for path in page_templates()
        for found in inline_code(path.read_text())
    ]
    assert offenders == []


def test_the_scanners_catch_what_they_are_meant_to():
    assert external_loads('<script src="https://cdn.example.com/x.js"></script>')
    assert external_loads("<link rel='stylesheet' href='//fonts.example.com/a.css'>")
    assert external_loads('<img srcset="https://img.example.com/a.png 2x">')
    assert not external_loads('<a href="https://orcid.org/0000-0002-1825-0097">ORCID</a>')
    assert not external_loads('<script src="/static/js/site.js"></script>')
    assert CSS_EXTERNAL.search("@import 'https://fonts.example.com/a.css';")
    assert inline_code('<div style="color: red">')
    assert inline_code('<button onclick="go()">')
    assert inline_code('<form hx-on::after-request="this.reset()">')
    assert inline_code("<script>alert(1)</script>")
    assert not inline_code('<script src="/static/js/site.js"></script>')
    assert not inline_code('<script type="application/json" id="data">{}</script>')
    assert not inline_code('<button data-confirm="Remove?">')
