"""A file name made only of dots or path separators, or holding a NUL, is refused with a 400
that says why — through the API (raw body or multipart) and the site's upload form — and
leaves neither row, stored file nor temporary file."""

from urllib.parse import quote

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT
from django.urls import reverse

from apps.datasets.models import DatasetFile
from tests.api.conftest import client_for
from tests.datasets.conftest import CSV_BYTES

UNUSABLE_NAMES = {
    "dot-dot": "..",
    "dot": ".",
    "up-two": "../..",
    "x-up": "x/..",
    "nul": "\x00",
    "nul-inside": "results\x00.csv",
    "300-slashes": "/" * 300,
}


def multipart_body(name: str) -> bytes:
    """A multipart body naming its file part `name` verbatim (the test client's own encoder
    would refuse to build these names)."""
    return b"\r\n".join(
        [
            f"--{BOUNDARY}".encode(),
            b'Content-Disposition: form-data; name="file"; filename="' + name.encode() + b'"',
            b"Content-Type: text/csv",
            b"",
            CSV_BYTES,
            f"--{BOUNDARY}--".encode(),
            b"",
        ]
    )


def assert_nothing_kept(stored_files) -> None:
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("name", UNUSABLE_NAMES.values(), ids=UNUSABLE_NAMES.keys())
def test_a_raw_api_upload_with_an_unusable_name_is_a_400_and_leaves_nothing(
    coordinator, consortium_dataset, stored_files, name
):
    response = client_for(coordinator).post(
        f"/api/v1/datasets/{consortium_dataset.pk}/files/",
        data=CSV_BYTES,
        content_type="text/csv",
        HTTP_CONTENT_DISPOSITION=f'attachment; filename="{name}"',
    )
    assert response.status_code == 400, response.content
    message = response.json()["errors"]["filename"][0]
    assert "cannot" in message and "Rename the file" in message
    assert_nothing_kept(stored_files)


@pytest.mark.parametrize("name", ["..", "x/..", "/" * 300], ids=["dot-dot", "x-up", "slashes"])
def test_the_filename_parameter_is_checked_the_same_way(
    coordinator, consortium_dataset, stored_files, name
):
    response = client_for(coordinator).post(
        f"/api/v1/datasets/{consortium_dataset.pk}/files/?filename={quote(name, safe='')}",
        data=CSV_BYTES,
        content_type="text/csv",
    )
    assert response.status_code == 400, response.content
    assert "made only of dots or path separators" in response.json()["errors"]["filename"][0]
    assert_nothing_kept(stored_files)


@pytest.mark.parametrize("name", UNUSABLE_NAMES.values(), ids=UNUSABLE_NAMES.keys())
def test_a_multipart_api_upload_with_an_unusable_name_is_a_400_and_leaves_nothing(
    coordinator, consortium_dataset, stored_files, name
):
    response = client_for(coordinator).generic(
        "POST",
        f"/api/v1/datasets/{consortium_dataset.pk}/files/",
        multipart_body(name),
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 400, response.content
    message = response.json()["errors"]["file"][0]
    assert "cannot" in message and "Rename the file" in message
    assert_nothing_kept(stored_files)


@pytest.mark.parametrize("name", UNUSABLE_NAMES.values(), ids=UNUSABLE_NAMES.keys())
def test_the_upload_form_shows_why_an_unusable_name_was_refused_and_keeps_nothing(
    client, partner_member, consortium_dataset, stored_files, name
):
    client.force_login(partner_member)
    response = client.generic(
        "POST",
        reverse("datasets:file_upload", kwargs={"pk": consortium_dataset.pk}),
        multipart_body(name),
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Rename the file and try again" in html
    assert_nothing_kept(stored_files)
