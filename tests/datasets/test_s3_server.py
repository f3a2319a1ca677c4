"""tools/s3_server.py, the tests' and the benchmark's local S3 server: moto with completion and
GET streaming from disk. What it answers must be what S3 (and unpatched moto) answers: the
multipart ETag and checksums, the bytes of whole and ranged reads."""

import base64
import hashlib

PART = 5 * 1024**2
PARTS = [bytes([n]) * PART for n in (1, 2)] + [b"tail" * 250]
WHOLE = b"".join(PARTS)


def _upload(client, key: str, **checksum) -> dict:
    upload_id = client.create_multipart_upload(Bucket=client.bucket, Key=key, **checksum)[
        "UploadId"
    ]
    parts = []
    for number, body in enumerate(PARTS, start=1):
        answer = client.upload_part(
            Bucket=client.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            **checksum,
        )
        part = {"PartNumber": number, "ETag": answer["ETag"]}
        if checksum:
            part["ChecksumSHA256"] = answer["ChecksumSHA256"]
        parts.append(part)
    return client.complete_multipart_upload(
        Bucket=client.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


def test_a_completed_upload_has_the_s3_etag_and_composite_checksum_of_its_parts(s3_storage):
    answer = _upload(s3_storage, "composite", ChecksumAlgorithm="SHA256")

    md5s = b"".join(hashlib.md5(p, usedforsecurity=False).digest() for p in PARTS)
    etag = hashlib.md5(md5s, usedforsecurity=False).hexdigest()
    assert answer["ETag"] == f'"{etag}-3"'
    sha256s = b"".join(hashlib.sha256(p).digest() for p in PARTS)
    composite = base64.b64encode(hashlib.sha256(sha256s).digest()).decode()
    stored = s3_storage.get_object(
        Bucket=s3_storage.bucket, Key="composite", ChecksumMode="ENABLED"
    )
    assert stored["ChecksumSHA256"] == f"{composite}-3"
    assert stored["Body"].read() == WHOLE


def test_whole_and_ranged_reads_stream_the_right_bytes(s3_storage):
    _upload(s3_storage, "ranges")
    read = s3_storage.get_object

    def ranged(spec: str) -> tuple:
        answer = read(Bucket=s3_storage.bucket, Key="ranges", Range=spec)
        return answer["ContentRange"], answer["Body"].read()

    assert read(Bucket=s3_storage.bucket, Key="ranges")["ContentLength"] == len(WHOLE)
    assert read(Bucket=s3_storage.bucket, Key="ranges")["Body"].read() == WHOLE
    assert ranged(f"bytes={PART - 3}-{PART + 2}") == (
        f"bytes {PART - 3}-{PART + 2}/{len(WHOLE)}",
        WHOLE[PART - 3 : PART + 3],
    )
    assert ranged("bytes=-10") == (
        f"bytes {len(WHOLE) - 10}-{len(WHOLE) - 1}/{len(WHOLE)}",
        WHOLE[-10:],
    )
    assert ranged(f"bytes={2 * PART}-")[1] == PARTS[2]
