"""Issue 20, acceptance 6: a client generated from the served schema with openapi-python-client
(as partner developers build one) pages through projects and datasets, downloads a file and
follows the change feed across an upsert and a tombstone of every resource kind, using only its
typed functions and with no parse error."""

import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from apps.api.feed import viewsets
from apps.core.kinds import shared_kinds, shared_parts
from apps.datasets.models import DatasetFile
from apps.documents.models import ProtocolVersion
from tests.api.conftest import token_for
from tests.api.test_schema import world  # noqa: F401  (one object of every resource)
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import DiseaseAreaFactory

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
# resource kind → the schema world's key for its object.
WORLD_KEYS = {
    "organisation": "organisations",
    "disease-area": "disease-areas",
    "project": "projects",
    # Every shared kind's parts (datasets, protocols, analyses…), as declared.
    **{part.resource: part.api_prefix for part in shared_parts()},
    "milestone": "milestones",
    "deliverable": "deliverables",
    "access-request": "access-requests",
    "grant": "grants",
    "notification": "notifications",
}
# Deleted leaves first, so that each deletion is its own (not a cascade's).
TOMBSTONE_ORDER = [
    "notification",
    "grant",
    "access-request",
    "deliverable",
    "milestone",
    # The shared kinds, the last declared first, each one's files or versions before it.
    *(
        part.resource
        for kind in reversed(shared_kinds())
        for part in (*reversed(kind.children), kind.item)
    ),
    "project",
    "disease-area",
    "organisation",
]


def generated_client(base_url: str, where: Path):
    """Generate the `stratum_client` package from the live schema and import it."""
    schema = where / "schema.json"
    schema.write_bytes(httpx.get(f"{base_url}/api/schema/?format=json").content)
    command = [str(GENERATOR), "generate", "--path", str(schema), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(where / "stratum_client")],
        capture_output=True,
        text=True,
        check=False,
        cwd=where,
    )
    assert (where / "stratum_client" / "client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(where))
    importlib.invalidate_caches()
    return importlib.import_module("stratum_client")


def _operation(package, name):
    return importlib.import_module(f"{package.__name__}.api.v1.{name}")


def _page_all(list_operation, client, **filters) -> list:
    rows, cursor, pages = [], None, 0
    while True:
        kwargs = {"cursor": cursor} if cursor else {}
        page = list_operation.sync(client=client, page_size=1, **filters, **kwargs)
        rows += page.results
        pages += 1
        if not page.next_:
            return rows if pages > 1 or len(rows) <= 1 else pytest.fail("one page of many")
        cursor = httpx.URL(page.next_).params["cursor"]


def _follow(changes, client, since: str) -> tuple[list, str]:
    items = []
    while True:
        page = changes.sync(client=client, since=since)
        items += page.results
        since = page.cursor
        if not page.has_more:
            return items, since


@pytest.mark.slow
def test_a_generated_client_pages_downloads_and_follows_the_feed(
    transactional_db,
    live_server,
    world,  # noqa: F811 (fixture)
    coordinator,
    project,
    tmp_path,
):
    extra_organisation = OrganisationFactory()
    extra_area = DiseaseAreaFactory()
    DatasetFactory(project=project, title="A second dataset")
    stratum = generated_client(live_server.url, tmp_path)
    client = stratum.AuthenticatedClient(base_url=live_server.url, token=token_for(coordinator))

    projects = _page_all(_operation(stratum, "v1_projects_list"), client)
    datasets = _page_all(_operation(stratum, "v1_datasets_list"), client, project=project.pk)
    assert str(project.pk) in {str(row.id) for row in projects}
    assert len(datasets) == 2

    file = DatasetFile.objects.get(pk=world["dataset-files"])
    download = _operation(stratum, "v1_dataset_files_download_retrieve").sync(
        client=client, id=file.pk
    )
    with file.file.open("rb") as stored:
        assert download.payload.read() == stored.read()

    changes = _operation(stratum, "v1_changes_retrieve")
    models = {kind: viewset.model for kind, viewset in viewsets().items()}
    objects = {
        kind: models[kind].objects.get(pk=world[key])
        for kind, key in WORLD_KEYS.items()
        if kind not in ("organisation", "disease-area")
    }
    objects["organisation"], objects["disease-area"] = extra_organisation, extra_area
    assert set(objects) == set(models), "a resource kind this test does not exercise"
    cursor = changes.sync(client=client, since="latest").cursor

    for obj in objects.values():
        obj.save()
    upserts, cursor = _follow(changes, client, cursor)
    assert {item.resource.value for item in upserts if item.op.value == "upsert"} == set(models)

    ids = {(kind, str(obj.pk)) for kind, obj in objects.items()}
    for kind in TOMBSTONE_ORDER:
        if kind == "protocol-version":
            ProtocolVersion.objects.filter(pk=objects[kind].pk).delete()
        else:
            objects[kind].delete()
    tombstones, cursor = _follow(changes, client, cursor)
    gone = {
        (item.resource.value, str(item.id)) for item in tombstones if item.op.value == "tombstone"
    }
    assert ids <= gone
