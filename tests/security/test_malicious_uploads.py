"""Acceptance 5: the malicious-input set — every file is rejected, or stored only with its name
neutralised; a rejected one leaves no row and no file. Through the real dataset upload page."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.core.models import AccessTier
from apps.datasets.models import DatasetFile
from tests.datasets.factories import DatasetFactory

pytestmark = pytest.mark.django_db

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ELF_HEAD = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
PE_HEAD = b"MZ\x90\x00\x03" + b"\x00" * 64


def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=9) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """About 100 KB that expands to 100 MB of zeros."""
    return _zip({"zeros.csv": b"0" * (100 * 1024 * 1024)})


REJECTED = {
    "html-as-csv": ("results.csv", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
    "html-file": ("page.html", b"<html><body>hi</body></html>"),
    "svg-with-script": (
        "figure.txt",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "svg-file": ("figure.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    "script-tag-in-text": ("notes.md", b"# Notes\n<script src=//evil.example/x.js></script>"),
    "iframe-in-json": ("data.json", b'{"x": "<iframe src=//evil.example>"}'),
    "png-named-csv": ("results.csv", PNG_HEAD),
    "csv-named-png": ("image.png", b"a,b\n1,2\n"),
    "elf-executable": ("tool.csv", ELF_HEAD),
    "windows-executable": ("setup.exe", PE_HEAD),
    "exe-renamed-pdf": ("report.pdf", PE_HEAD),
    "unknown-extension": ("payload.sh", b"#!/bin/sh\nrm -rf /\n"),
    "nul-bytes-in-text": ("results.csv", b"a,b\n1,\x002\n"),
    "empty": ("results.csv", b""),
    "zip-bomb": ("archive.zip", zip_bomb()),
    "zip-slip": ("archive.zip", _zip({"../../etc/cron.d/evil": b"* * * * * root sh\n"})),
    "zip-absolute-path": ("archive.zip", _zip({"/etc/passwd": b"root:x:0:0\n"})),
    "zip-windows-path": ("archive.zip", _zip({"..\\..\\win.ini": b"[x]\n"})),
    "damaged-zip": ("archive.zip", b"PK\x03\x04" + b"\x00" * 200),
    "docx-bomb": ("paper.docx", None),  # built below: a bomb wearing an Office name
    "only-dots-name": ("....", b"a,b\n1,2\n"),
    "only-control-characters-name": ("\x00\x01\x1f", b"a,b\n1,2\n"),
}


@pytest.fixture
def dataset(project):
    return DatasetFactory(
        project=project, title="Uploads under attack", access_tier=AccessTier.CONSORTIUM
    )


def _post(client, dataset, name, content):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("datasets:file_upload", kwargs={"pk": dataset.pk}), {"file": upload})


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_malicious_file_is_rejected_and_nothing_is_stored(
    client,
    partner_member,
    dataset,
    stored_files,
    case,
):
    name, content = REJECTED[case]
    if case == "docx-bomb":
        content = zip_bomb()
    client.force_login(partner_member)
    response = _post(client, dataset, name, content)
    assert response.status_code in (400, 413), (case, response.status_code)
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_an_oversized_file_is_rejected_with_413_and_nothing_is_stored(
    client,
    settings,
    partner_member,
    dataset,
    stored_files,
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 4096
    client.force_login(partner_member)
    response = _post(client, dataset, "big.csv", b"a,b\n" + b"1,2\n" * 5000)
    assert response.status_code == 413
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


NEUTRALISED_NAMES = {
    "path-traversal": ("../../../etc/passwd.csv", "passwd.csv"),
    "windows-traversal": ("..\\..\\boot.ini.csv", "boot.ini.csv"),
    "absolute-path": ("/var/www/results.csv", "results.csv"),
    "nul-in-name": ("results.csv\x00.html", "results.csv.html"),
    "control-characters": ("res\x07ul\x1bts\x7f.csv", "results.csv"),
    "right-to-left-override": ("evil\u202egpj.csv", "evilgpj.csv"),
    "full-width-slash-look-alike": ("\uff0e\uff0e\uff0fsecret.csv", "secret.csv"),
    "full-width-letters": ("\uff52\uff45\uff53\uff55\uff4c\uff54\uff53.csv", "results.csv"),
    "zero-width-joiners": ("re\u200bsul\u200dts.csv", "results.csv"),
    "leading-dots-hidden-file": ("..hidden.csv", "hidden.csv"),
}


@pytest.mark.parametrize("case", sorted(NEUTRALISED_NAMES))
def test_a_hostile_file_name_is_neutralised_before_storage(client, partner_member, dataset, case):
    raw, expected = NEUTRALISED_NAMES[case]
    client.force_login(partner_member)
    response = _post(client, dataset, raw, b"a,b\n1,2\n")
    if expected.endswith(".html"):
        # The name now ends in .html: the text is still a CSV, but no longer accepted by name.
        assert response.status_code == 400
        assert not DatasetFile.objects.exists()
        return
    assert response.status_code == 302, (case, response.content[:300])
    stored = DatasetFile.objects.get()
    assert stored.file_name == expected
    # The storage path never derives from the name.
    assert stored.file.name == f"protected/datasets.datasetfile/{stored.pk}"


def test_a_normal_zip_is_accepted(client, partner_member, dataset):
    client.force_login(partner_member)
    archive = _zip({"cohort/a.csv": b"a,b\n1,2\n" * 100, "cohort/b.csv": b"c,d\n3,4\n"})
    assert _post(client, dataset, "cohort.zip", archive).status_code == 302
    assert DatasetFile.objects.get().content_type == "application/zip"


def test_protected_files_download_as_attachments_that_browsers_do_not_sniff(
    client, partner_member, dataset
):
    client.force_login(partner_member)
    _post(client, dataset, "results.csv", b"a,b\n1,2\n")
    stored = DatasetFile.objects.get()
    response = client.get(stored.get_download_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="results.csv"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/csv"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (zip_bomb(), "file_archive_bomb"),
        (_zip({f"f{n}.csv": b"x" for n in range(10_001)}, zipfile.ZIP_STORED), "file_archive_bomb"),
        (_zip({"../evil.csv": b"a\n"}), "file_archive_traversal"),
        (b"PK\x03\x04" + b"\x00" * 200, "file_archive_damaged"),
    ],
    ids=["bomb", "too-many-entries", "traversal", "damaged"],
)
def test_archives_are_refused_for_the_right_reason(content, code):
    from django.core.exceptions import ValidationError

    from apps.core.uploads import inspect_upload

    with pytest.raises(ValidationError) as refused:
        inspect_upload(SimpleUploadedFile("archive.zip", content))
    assert refused.value.code == code
