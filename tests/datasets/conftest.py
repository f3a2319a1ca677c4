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
    settings.STRATUM_MULTIPART_LOCAL_DIR = str(tmp_path / "multipart-parts")
    settings.STRATUM_X_ACCEL_PREFIX = ""
    return temp_dir


@pytest.fixture
def stored_files(settings, _upload_temp_dir):
    """Every file under MEDIA_ROOT and the upload temp dir, as a sorted list of paths."""

    def collect():
        from pathlib import Path

        roots = [
            Path(settings.MEDIA_ROOT),
            Path(_upload_temp_dir),
            Path(settings.STRATUM_MULTIPART_LOCAL_DIR),
        ]
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


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 HTTP API on a local port (moto's server mode, objects on disk: the same
    tools/s3_server.py the upload benchmark runs): multipart uploads, presigned URLs and range
    requests go over HTTP exactly as to a cloud bucket. Not a mocked client."""
    import logging
    import socket

    from tools.s3_server import threaded_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = threaded_server("127.0.0.1", port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_server):
    """Default storage on a fresh bucket of the local S3 server, with 5 MiB parts (the S3
    minimum) so that tests use several parts without big files."""
    import uuid

    import boto3

    bucket = f"stratum-test-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = s3_server
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ACCESS_KEY_ID = "testing"
    settings.AWS_S3_SECRET_ACCESS_KEY = "testing"
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.STRATUM_MULTIPART_PART_BYTES = 5 * 1024**2
    settings.STRATUM_X_ACCEL_PREFIX = ""
    client.bucket = bucket
    return client
