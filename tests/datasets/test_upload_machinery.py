"""The shared upload pieces: file-name sanitising and content sniffing."""

import gzip
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.uploads import inspect_upload, sanitise_file_name, sniff_content_type


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.csv", "cmd.csv"),
        ("reports/2026/results.csv", "results.csv"),
        ("tab\tand\nnewline.txt", "tabandnewline.txt"),
        ("ｆｕｌｌ／ｗｉｄｔｈ.csv", "width.csv"),
        ("..hidden..csv", "hidden.csv"),
        ("  spaced   name .csv  ", "spaced name .csv"),
        ("right-to-left\u202egnp.csv", "right-to-leftgnp.csv"),
    ],
)
def test_file_names_are_sanitised(raw, expected):
    assert sanitise_file_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "..", "/", "../..", "\x00\x01", "   ", "x/..", "/" * 300])
def test_empty_file_names_are_refused(raw):
    with pytest.raises(ValidationError):
        sanitise_file_name(raw)


def test_a_nul_anywhere_in_a_name_is_refused_not_silently_dropped():
    with pytest.raises(ValidationError, match="NUL"):
        sanitise_file_name("null\x00byte.csv")


def test_long_file_names_keep_their_extension():
    name = sanitise_file_name("a" * 500 + ".csv")
    assert len(name) == 200
    assert name.endswith(".csv")


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"a,b\n1,2\n", "data.csv", "text/csv"),
        (b"a\tb\n1\t2\n", "data.tsv", "text/tab-separated-values"),
        (b'{"a": 1}', "data.json", "application/json"),
        (b"##fileformat=VCFv4.2\n", "calls.vcf", "text/x-vcf"),
        (b"%PDF-1.7\n", "protocol.pdf", "application/pdf"),
        (gzip.compress(b"a,b\n", mtime=0), "data.csv.gz", "application/gzip"),
        (_zip_bytes({"a.csv": b"a"}), "bundle.zip", "application/zip"),
        (
            _zip_bytes({"[Content_Types].xml": b"x", "word/document.xml": b"x"}),
            "protocol.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (b"PAR1\x15\x04", "table.parquet", "application/vnd.apache.parquet"),
    ],
)
def test_allowed_formats_are_recognised_from_their_bytes(head, name, expected):
    assert sniff_content_type(head, name) == expected


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "page.html"),
        (b"<html><body>hi</body></html>", "innocent.csv"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image.txt"),
        (b"MZ\x90\x00" + b"\x00" * 60, "setup.csv"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "tool.txt"),
        (b"#!/bin/sh\nrm -rf /\n", "script.sh"),
        (b"root:x:0:0:root:/root:/bin/bash\n", "passwd"),
        (b"a,b\n1,2\n", "data.pdf"),
        (b"%PDF-1.7\n", "renamed.csv"),
    ],
)
def test_dangerous_or_mismatched_content_is_refused(head, name):
    with pytest.raises(ValidationError):
        sniff_content_type(head, name)


def test_inspect_upload_ignores_the_client_content_type_and_hashes_the_bytes():
    import hashlib

    upload = SimpleUploadedFile("data.csv", b"a,b\n1,2\n", content_type="text/html")
    inspected = inspect_upload(upload)
    assert inspected.content_type == "text/csv"
    assert inspected.sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert inspected.size == 8


def test_inspect_upload_refuses_empty_files():
    with pytest.raises(ValidationError, match="empty"):
        inspect_upload(SimpleUploadedFile("data.csv", b""))


def test_inspect_upload_refuses_files_over_the_limit(settings):
    settings.STRATUM_UPLOAD_MAX_BYTES = 4
    with pytest.raises(ValidationError, match="larger than"):
        inspect_upload(SimpleUploadedFile("data.csv", b"a,b\n1,2\n"))
