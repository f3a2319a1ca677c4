import hashlib
import io

from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile
from apps.documents.models import Protocol, ProtocolVersion
from apps.seeding.demo import datasets as datasets_demo
from apps.seeding.demo import documents as documents_demo


def test_demo_seeds_protocols_and_datasets_in_every_tier_idempotently(
    project, coordinator, partner_member, monkeypatch
):
    monkeypatch.setattr(documents_demo, "DEMO_ACRONYMS", (project.acronym,))
    for _ in range(2):
        documents_demo.seed(io.StringIO())
        datasets_demo.seed(io.StringIO())
    assert Protocol.objects.filter(project=project).count() == 2
    assert ProtocolVersion.objects.filter(protocol__project=project).count() == 4
    statuses = sorted(ProtocolVersion.objects.values_list("status", flat=True))
    assert statuses == ["approved", "approved", "draft", "superseded"]
    assert set(
        Dataset.objects.filter(project=project).values_list("access_tier", flat=True)
    ) == set(AccessTier.values)
    assert DatasetFile.objects.count() == len(datasets_demo.DEMO_DATASETS)
    stored = DatasetFile.objects.first()
    assert hashlib.sha256(stored.file.read()).hexdigest() == stored.sha256


def test_demo_skips_gracefully_without_projects(db):
    out = io.StringIO()
    documents_demo.seed(out)
    datasets_demo.seed(out)
    assert "skipped" in out.getvalue()
    assert not Dataset.objects.exists()
