"""Acceptance 4 of issue 2: no template or stylesheet loads anything from another host."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# src=, href=, action=, srcset= and CSS url()/@import pointing at http(s):// or //host.
TEMPLATE_EXTERNAL = re.compile(
    r"""(?:src|href|srcset|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
CSS_EXTERNAL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""", re.IGNORECASE)


def template_files() -> list[Path]:
    roots = [ROOT / "templates", *sorted((ROOT / "apps").glob("*/templates"))]
    return [path for root in roots for path in root.rglob("*.html")]


def stylesheet_files() -> list[Path]:
    return sorted((ROOT / "static").rglob("*.css"))


def test_there_are_templates_and_stylesheets_to_check():
    assert len(template_files()) > 20
    assert any(path.name == "bootstrap.min.css" for path in stylesheet_files())


def test_no_template_loads_or_links_to_another_host():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in template_files()
        for match in TEMPLATE_EXTERNAL.finditer(path.read_text())
    ]
    assert offenders == []


def test_no_stylesheet_loads_anything_from_another_host():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in stylesheet_files()
        for match in CSS_EXTERNAL.finditer(path.read_text())
    ]
    assert offenders == []


def test_the_scanner_does_catch_an_external_script():
    assert TEMPLATE_EXTERNAL.search('<script src="https://cdn.example.com/x.js">')
    assert TEMPLATE_EXTERNAL.search("<link href='//fonts.example.com/a.css'>")
    assert CSS_EXTERNAL.search("@import 'https://fonts.example.com/a.css';")
    assert not TEMPLATE_EXTERNAL.search('<a href="/projects/">')
