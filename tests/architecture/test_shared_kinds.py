"""Acceptance 2 of issue 22: a model registered as a shared kind (`apps.core.kinds`) is in
every consumer of the registry — the change feed, the API (router, feed rendering, schema
enum), the orphan-file sweep, the portal search and its search table, the policy (and its
matrix), notifications, the admin and the demo data. And the other way round: a model that
looks like a shared kind (a project's item under an access tier) is declared."""

import importlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection

from apps.access.policy import Action, registered, rule_for
from apps.access.policy.notifications import NOTIFICATION_TARGETS
from apps.api.feed import viewsets
from apps.api.urls import router
from apps.api.views.changes import RESOURCES
from apps.changes.registry import captures, syncable
from apps.core.files import StoredFileFields
from apps.core.kinds import shared_kinds, shared_parts
from apps.datasets.tasks import protected_file_models
from apps.notifications.models import EventType
from apps.search import statements
from apps.search.index import INDEXED_KINDS, PREFIX, PROJECTIONS
from apps.search.selectors import BY_NAME
from tests.kinds import BUILDERS

KINDS = shared_kinds()
PARTS = [(kind, part) for kind in KINDS for part in kind.parts]
PART_IDS = [part.resource for _kind, part in PARTS]


def test_the_registry_holds_the_three_kinds():
    assert {kind.name for kind in KINDS} >= {"dataset", "protocol", "analysis"}


def test_every_model_under_an_access_tier_in_a_project_is_a_declared_kind():
    declared = {kind.model for kind in KINDS}
    tiered = {
        model._meta.label
        for model in apps.get_models()
        if {"access_tier", "project"} <= {f.name for f in model._meta.get_fields()}
    }
    assert tiered == declared


def test_every_model_holding_protected_files_is_a_declared_file_part():
    holders = {m._meta.label for m in apps.get_models() if issubclass(m, StoredFileFields)}
    holders.discard("access.RequestDocument")  # evidence attached to an access request
    assert holders == {part.model for part in shared_parts() if part.files}


@pytest.mark.parametrize(("kind", "part"), PARTS, ids=PART_IDS)
def test_the_change_feed_captures_every_part(kind, part):
    assert syncable()[part.resource] == part.model
    labels = {capture.label for capture in captures()}
    assert part.model in labels
    assert kind.named_organisations in labels
    project_capture = next(c for c in captures() if c.label == "projects.Project")
    assert part.resource in {emit.resource for emit in project_capture.emits}
    if "registered" in kind.tiers:
        affiliation = next(c for c in captures() if c.label == "organisations.Affiliation")
        assert part.resource in {emit.resource for emit in affiliation.emits}


@pytest.mark.parametrize(("kind", "part"), PARTS, ids=PART_IDS)
def test_the_api_routes_renders_and_enumerates_every_part(kind, part):
    routed = {basename: viewset for _prefix, viewset, basename in router.registry}
    assert routed[part.resource].model._meta.label == part.model
    assert viewsets()[part.resource] is routed[part.resource]
    assert part.resource in RESOURCES


@pytest.mark.parametrize(("kind", "part"), PARTS, ids=PART_IDS)
def test_the_orphan_sweep_covers_every_file_part(kind, part):
    swept = {model._meta.label for model in protected_file_models()}
    assert (part.model in swept) == part.files


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_the_search_finds_every_kind(kind):
    assert BY_NAME[kind.name].model._meta.label == kind.model
    if connection.vendor == "postgresql":
        table = apps.get_model(kind.model)._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                [table],
            )
            columns = {row[0] for row in cursor.fetchall()}
        assert {"search_document", "search_title"} <= columns


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_the_search_table_holds_every_kind(kind):
    """In the search table (PostgreSQL's search): projected from its own table, kept by its
    trigger (installed by a migration), and seen under its view rule, not the table's
    "nothing" for a kind it does not know."""
    assert kind.name in INDEXED_KINDS
    table, _projection = PROJECTIONS[kind.name]
    assert table == apps.get_model(kind.model)._meta.db_table
    assert statements.SHARED[kind.name] == kind.search
    facts = statements.PersonFacts(signed_in=True)
    assert statements.visible_condition(kind.name, facts).text != "false"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            triggers = {row[0] for row in cursor.fetchall()}
        assert {PREFIX, f"{PREFIX}_truncate"} <= triggers


@pytest.mark.parametrize(("kind", "part"), PARTS, ids=PART_IDS)
def test_the_policy_governs_every_part_from_the_kinds_policy_module(kind, part):
    model = apps.get_model(part.model)
    actions = {Action.VIEW, Action.DOWNLOAD, Action.EDIT}
    if part is kind.item:
        actions.add(Action.CONTRIBUTE)
    assert actions <= {action for m, action in registered() if m is model}
    for action in actions:
        assert rule_for(model, action).__module__ == f"apps.access.policy.{kind.policy}"


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_every_kind_has_notifications_admin_demo_data_and_a_test_builder(kind):
    assert kind.model.lower() in NOTIFICATION_TARGETS
    assert set(kind.notifications) <= set(EventType.values)
    for part in kind.parts:
        assert apps.get_model(part.model) in admin.site._registry
    assert callable(importlib.import_module(kind.demo).seed)
    assert kind.name in BUILDERS  # the policy matrix and the crawl build it


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_every_kind_is_citable_as_deliverable_evidence(kind):
    from apps.milestones.forms import DeliverableForm
    from apps.milestones.models import Deliverable

    cited = [part for part in kind.parts if part.evidence]
    assert cited, f"{kind.name} declares no part a deliverable may cite"
    for part in cited:
        field = Deliverable._meta.get_field(part.evidence)
        assert field.related_model._meta.label == part.model
        assert part.evidence in DeliverableForm._meta.fields
