"""Views tell an htmx request from a page request through `request.htmx` (django-htmx) alone.

The leak crawl (tests/access/crawl) re-asks a URL as an htmx request only when the first
answer consulted `request.htmx`; code that read the header itself would answer htmx requests
differently without the crawl noticing.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_app_code_or_template_reads_the_htmx_headers_directly():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("apps", "portal", "templates")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt"}
        and any(
            header in path.read_text(encoding="utf-8", errors="replace").lower()
            for header in ("hx-request", "http_hx_", "hx_request")
        )
    ]
    assert offenders == []
