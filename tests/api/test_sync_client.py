"""docs/sync_client.py, the documented partner script, run against a live server."""

import importlib.util
from pathlib import Path

import pytest

from apps.access.policy import visible
from apps.datasets.models import Dataset
from tests.api.conftest import token_for
from tests.datasets.factories import DatasetFactory

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "sync_client.py"


def _load():
    spec = importlib.util.spec_from_file_location("sync_client", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_example_client_syncs_fully_then_incrementally(
    live_server, transactional_db, partner_member, project, lead_org, tmp_path, monkeypatch
):
    client = _load()
    kept = DatasetFactory(project=project, steward_organisation=lead_org)
    dropped = DatasetFactory(project=project, steward_organisation=lead_org)
    monkeypatch.setenv("STRATUM_URL", live_server.url)
    monkeypatch.setenv("STRATUM_TOKEN", token_for(partner_member, scopes=("read",)))
    state_file = str(tmp_path / "state.json")

    client.main(state_file)
    state = client.json.loads(Path(state_file).read_text())
    assert set(state["rows"]["datasets"]) == {str(kept.pk), str(dropped.pk)}

    dropped.delete()
    kept.title = "Renamed"
    kept.save()
    added = DatasetFactory(project=project, steward_organisation=lead_org)
    client.main(state_file)
    state = client.json.loads(Path(state_file).read_text())
    expected = {
        str(pk)
        for pk in visible(partner_member, Dataset.objects.all()).values_list("pk", flat=True)
    }
    assert set(state["rows"]["datasets"]) == expected == {str(kept.pk), str(added.pk)}
    assert state["rows"]["datasets"][str(kept.pk)]["title"] == "Renamed"


@pytest.mark.slow
def test_the_example_client_streams_an_upload_with_its_checksum(
    live_server, transactional_db, coordinator, project, tmp_path, monkeypatch, settings
):
    from apps.datasets.models import DatasetFile

    settings.MEDIA_ROOT = tmp_path / "media"
    client = _load()
    dataset = DatasetFactory(project=project)
    content = b"sample_id,fev1\n" + b"".join(b"S%05d,2.31\n" % i for i in range(50_000))
    source = tmp_path / "spirometry.csv"
    source.write_bytes(content)

    stored = client.upload(live_server.url, token_for(coordinator), str(dataset.pk), str(source))
    assert stored["file_name"] == "spirometry.csv" and stored["size"] == len(content)
    row = DatasetFile.objects.get(pk=stored["id"])
    assert row.file.read() == content
