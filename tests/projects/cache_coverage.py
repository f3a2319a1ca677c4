"""What the tests of the versioned caches share (issue 16): which tables a build read, and
the check that each of them bumps a version (`apps.projects.content_versions.BUMPS`) or is
exempted with its reason. "Coverage by construction": a cached part may read only what a write
cannot change without changing the part's key."""

import re

from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.projects import content_versions

# Tables a cached list reads that need not bump the catalogue, and why.
EXEMPT = {
    "projects_projectcontentversion": "the catalogue version itself: it is in the key",
    "projects_projectcontentpending": "whether this transaction wrote: then nothing is stored",
    "access_accessversion": "the viewer's access version: in the key (with the facts)",
    "mfa_authenticator": "the viewer's MFA standing (access facts, in the key)",
    "search_entry": (
        "written by triggers in the same transaction as the rows it is made from, each of "
        "which bumps (tests/search/test_shared_kinds_in_table.py)"
    ),
    "search_word": (
        "the words of titles, for typo tolerance: written by a trigger on search_entry, in "
        "the same transaction (apps.search.index)"
    ),
}

_QUOTED = r'"([A-Za-z0-9_]+)"'
_BARE = r"\b(?:FROM|JOIN)\s+([a-z][a-z0-9_]*)"


def tables_in(captured) -> set[str]:
    known = set(connection.introspection.table_names())
    found = set()
    for query in captured.captured_queries:
        found |= set(re.findall(_QUOTED, query["sql"]))
        found |= set(re.findall(_BARE, query["sql"], re.IGNORECASE))
    return found & known


def record_builds(monkeypatch, *modules) -> dict[str, set[str]]:
    """Every `catalogue_cached` that `modules` call builds afresh, and the tables each build
    reads are collected under its name."""
    read: dict[str, set[str]] = {}

    def building(user, name, request_key, build, valid, ref=None):
        with CaptureQueriesContext(connection) as captured:
            result = build()
        read.setdefault(name, set()).update(tables_in(captured))
        return result

    for module in modules:
        monkeypatch.setattr(module, "catalogue_cached", building)
    return read


def assert_every_table_bumps(read: dict[str, set[str]], exempt: dict[str, str]) -> None:
    """Each build's tables are in `content_versions.BUMPS` or exempted with a reason."""
    declared = {
        content_versions.table_of(django_apps, bump.label) for bump in content_versions.BUMPS
    }
    for name, tables in read.items():
        uncovered = tables - declared - set(exempt)
        assert not uncovered, f"{name} reads tables that bump no version: {sorted(uncovered)}"
