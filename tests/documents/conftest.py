import pytest

from apps.documents.models import ProtocolVersion
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory


@pytest.fixture(autouse=True)
def _upload_settings(settings, tmp_path):
    temp_dir = tmp_path / "uploads-tmp"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    settings.STRATUM_X_ACCEL_PREFIX = ""


@pytest.fixture
def protocol(project):
    return ProtocolFactory(project=project, title="Sputum induction SOP")


@pytest.fixture
def approved_v1(protocol, coordinator):
    return ProtocolVersionFactory(
        protocol=protocol,
        status=ProtocolVersion.Status.APPROVED,
        approved_by=coordinator,
        change_note="First issue.",
        content=b"Induce with 3% saline for 5 minutes.\n",
    )


@pytest.fixture
def draft_v2(protocol, approved_v1, partner_member):
    return ProtocolVersionFactory(
        protocol=protocol,
        created_by=partner_member,
        change_note="Saline raised to 4.5%.",
        content=b"Induce with 4.5% saline for 5 minutes.\n",
    )
