"""Datasets in every tier of the RESPIRE project, and helpers to look at what storage holds."""

import pytest

from apps.core.models import AccessTier
from tests.datasets.factories import DatasetFactory, DatasetFileFactory

CSV_BYTES = b"sample_id,fev1,eosinophils\nS001,2.31,0.4\nS002,1.87,0.9\n"


@pytest.fixture(autouse=True)
def _upload_temp_dir(settings, tmp_path):
    """Temporary upload files land where the test can count them."""
    temp_dir = tmp_path / "uploads-tmp"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    settings.STRATUM_X_ACCEL_PREFIX = ""
    return temp_dir


@pytest.fixture
def stored_files(settings, _upload_temp_dir):
    """Every file under MEDIA_ROOT and the upload temp dir, as a sorted list of paths."""

    def collect():
        from pathlib import Path

        roots = [Path(settings.MEDIA_ROOT), Path(_upload_temp_dir)]
        return sorted(
            str(p) for root in roots if root.exists() for p in root.rglob("*") if p.is_file()
        )

    return collect


@pytest.fixture
def consortium_dataset(project):
    return DatasetFactory(
        project=project, title="RESPIRE sputum cohort", access_tier=AccessTier.CONSORTIUM
    )


@pytest.fixture
def consortium_file(consortium_dataset):
    return DatasetFileFactory(dataset=consortium_dataset, file_name="sputum.csv", content=CSV_BYTES)


@pytest.fixture
def controlled_dataset(project):
    return DatasetFactory(
        project=project, title="RESPIRE genomes", access_tier=AccessTier.CONTROLLED
    )


@pytest.fixture
def controlled_file(controlled_dataset):
    return DatasetFileFactory(
        dataset=controlled_dataset, file_name="genomes.csv", content=CSV_BYTES
    )


@pytest.fixture
def draft_dataset(project):
    return DatasetFactory(project=project, title="RESPIRE draft", status="draft", published_at=None)
