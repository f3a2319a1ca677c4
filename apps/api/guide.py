"""The partner developers' guide (docs/api.md) and the sync client, served by the portal.

The guide is Markdown written by us; it is still rendered with raw HTML switched off (it shows
as text) and markdown-it's link check (no javascript: or data: links), so a careless edit
cannot put script into a page.
"""

from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt

DOCS = Path(settings.BASE_DIR) / "docs"
GUIDE = DOCS / "api.md"
SYNC_CLIENT = DOCS / "sync_client.py"


@lru_cache(maxsize=4)
def _render(mtime_ns: int) -> str:
    markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    tokens = markdown.parse(GUIDE.read_text(encoding="utf-8"))
    # Headings get ids ("## Webhooks" → #webhooks), so pages can link to a section.
    for heading, inline in pairwise(tokens):
        if heading.type == "heading_open":
            heading.attrSet("id", slugify(inline.content))
    return markdown.renderer.render(tokens, markdown.options, {})


def guide_html() -> str:
    """docs/api.md as HTML, rendered again only when the file changes."""
    return _render(GUIDE.stat().st_mtime_ns)


@require_GET
def guide(request):
    return render(request, "api/guide.html", {"guide": mark_safe(guide_html())})  # noqa: S308


@require_GET
def sync_client(request):
    return FileResponse(
        SYNC_CLIENT.open("rb"),
        as_attachment=True,
        filename="sync_client.py",
        content_type="text/x-python; charset=utf-8",
    )


@require_GET
def api_index(request, prefixes: list[str]):
    """/api/v1/ itself: where to start (the guide, the schema) and the resources' addresses,
    for a newcomer who opens the API's base URL. Not an API resource, so not in the schema."""
    base = request.build_absolute_uri("/api/v1/")
    return JsonResponse(
        {
            "guide": request.build_absolute_uri("/api/guide/"),
            "schema": request.build_absolute_uri("/api/schema/"),
            "docs": request.build_absolute_uri("/api/docs/"),
            "changes": f"{base}changes/",
            "resources": {prefix: f"{base}{prefix}/" for prefix in prefixes},
        }
    )
