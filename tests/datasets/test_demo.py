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


def test_each_consortiums_demo_data_belongs_to_its_disease():
    """No sputum in the lung-cancer or arthritis projects; their tables measure their disease."""
    for acronym in ("SYNOVIA", "PRECISE-LUNG"):
        texts = [
            f"{title} {description}"
            for title, _, description, *_ in datasets_demo.datasets_for(acronym)
        ]
        texts += [
            text
            for _, _, versions in documents_demo.DISEASE_PROTOCOLS[acronym]
            for _, text, _, _ in versions
        ]
        table = datasets_demo.demo_csv("x", acronym=acronym).decode()
        for word in ("sputum", "spirometry", "fev1", "eosinophil", "exacerbation"):
            assert all(word not in text.lower() for text in texts), (acronym, word)
            assert word not in table.lower(), (acronym, word)
        tiers = {tier for _, tier, *_ in datasets_demo.datasets_for(acronym)}
        assert tiers == set(AccessTier.values)
    lung = datasets_demo.demo_csv("x", acronym="PRECISE-LUNG").decode().splitlines()[0]
    assert "pdl1_tps_percent" in lung
