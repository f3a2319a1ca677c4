"""A local S3 HTTP API whose objects stay on disk: moto's server with two narrow patches.

    .venv/bin/python tools/s3_server.py -H 127.0.0.1 -p 9000     # like `moto_server`

The tests (tests/datasets/conftest.py) and the upload benchmark (bench/resumable_upload.py) use
this rather than plain moto, so that what is tested is what is benchmarked. moto's server mode
implements the multipart calls Stratum uses (create, upload part, ListParts, complete, abort,
ListMultipartUploads) and presigned URLs, and keeps every object and part in a
`SpooledTemporaryFile` (on disk above ~5 MB). Two of its code paths still hold a whole object in
memory, which makes a 20 GiB object cost ~40 GB of RAM (moto 5.2):

1. completing a multipart upload joins the parts in a `bytearray` (and a second one for the
   full-object checksum) before writing the new key;
2. GET answers with `key.value`, the whole object read into memory (a ranged GET slices it).

The patches below replace exactly these: (1) completion copies the parts one chunk at a time
into a new spooled file, computing the same ETag and checksum incrementally, and hands that
file to the new key; (2) GET (ranged or not) answers with an iterator that reads the key's file
a chunk at a time, which werkzeug streams. Everything else is moto's own behaviour, with one
gap: a GET of one part (`?partNumber=`) with `x-amz-checksum-mode` on an object with a composite
checksum fails (moto hashes the part's bytes, which are streamed here); Stratum never asks it.
The patches follow moto 5.2's internals (`FakeMultipart.complete`, `FakeKey.value`,
`S3Response.get_object`); tests/datasets/test_s3_server.py pins what they must answer.
"""

import base64
import binascii
import hashlib
import tempfile
from typing import Any

CHUNK = 8 * 1024**2
_PATCHED = False


class _Checksum:
    """The incremental twin of `moto.s3.utils.compute_checksum` (same algorithms, same
    fallbacks when the optional C libraries are missing)."""

    def __init__(self, algorithm: str):
        from moto.s3.utils import HAS_CRT

        self.algorithm, self.value = algorithm, 0
        self._hash = None
        self._width = 4
        if algorithm == "SHA1":
            self._hash = hashlib.sha1(usedforsecurity=False)
        elif algorithm == "CRC64NVME" and HAS_CRT:
            from awscrt import checksums

            self._crc, self._width = checksums.crc64nvme, 8
        elif algorithm == "CRC32C" and _has_crc32c():
            import crc32c

            self._crc = crc32c.crc32c
        elif algorithm in ("CRC32", "CRC32C", "CRC64NVME"):
            self._crc = binascii.crc32
        else:
            self._hash = hashlib.sha256(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        if self._hash is not None:
            self._hash.update(data)
        else:
            self.value = self._crc(data, self.value)

    def digest(self) -> bytes:
        if self._hash is not None:
            return self._hash.digest()
        return self.value.to_bytes(self._width, "big")


def _has_crc32c() -> bool:
    try:
        import crc32c  # noqa: F401
    except ImportError:
        return False
    return True


class JoinedParts:
    """A completed upload's content: a spooled (on-disk) file of `size` bytes, handed to the new
    key instead of a `bytes` value."""

    def __init__(self, buffer, size: int):
        self.buffer, self.size = buffer, size

    def __len__(self) -> int:
        return self.size


def _complete(self, body) -> tuple[Any, str, tuple[str, str, int] | None]:
    """`FakeMultipart.complete` with the same checks, ETag and checksum, streaming the parts
    into one spooled file instead of a bytearray."""
    from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
    from moto.s3.models import MultipartChecksumBuilder
    from moto.s3.utils import compute_checksum
    from moto.settings import S3_UPLOAD_PART_MIN_SIZE, get_s3_default_key_buffer_size

    builder = MultipartChecksumBuilder(
        self.metadata.get("x-amz-checksum-algorithm"), self.metadata.get("x-amz-checksum-type")
    )
    composite = builder.checksum_type == "COMPOSITE"
    whole = _Checksum(builder.checksum_algorithm)
    md5s, part_checksums, part_sizes = bytearray(), bytearray(), []
    joined = tempfile.SpooledTemporaryFile(get_s3_default_key_buffer_size())  # noqa: SIM115
    last, size = None, 0
    try:
        for number, etag in body:
            part = self.parts.get(number)
            part_etag = part.etag.replace('"', "") if part is not None else None  # an MD5 pass
            if part_etag is None or part_etag != etag.replace('"', ""):
                raise InvalidPart()
            if last is not None and last.contentsize < S3_UPLOAD_PART_MIN_SIZE:
                raise EntityTooSmall()
            md5s.extend(bytes.fromhex(part_etag))
            one = _Checksum(builder.checksum_algorithm)
            with part.lock:
                part._value_buffer.seek(0)
                while chunk := part._value_buffer.read(CHUNK):
                    joined.write(chunk)
                    (one if composite else whole).update(chunk)
            part_checksums.extend(one.digest())
            part_sizes.append(part.size)
            size += part.size
            last = part
    except BaseException:
        joined.close()
        raise
    if last is None:
        joined.close()
        raise MalformedXML
    self.completed_part_sizes = part_sizes
    count = len(part_sizes)
    if composite:
        checksum = compute_checksum(bytes(part_checksums), builder.checksum_algorithm).decode()
        details = (builder.checksum_type, checksum, count)
    else:
        details = (builder.checksum_type, base64.b64encode(whole.digest()).decode(), 1)
    etag = hashlib.md5(bytes(md5s), usedforsecurity=False).hexdigest()
    return JoinedParts(joined, size), f"{etag}-{count}", details


class _KeyBody:
    """Bytes `start`..`stop` of a key's file, as moto's GET code uses a `bytes` body: `len()`
    and slicing (for Range), iterated by werkzeug a chunk at a time."""

    def __init__(self, key, start: int = 0, stop: int | None = None):
        self.key, self.start = key, start
        self.stop = key.size if stop is None else min(stop, key.size)

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __getitem__(self, item: slice) -> "_KeyBody":
        begin, end, _ = item.indices(len(self))
        return _KeyBody(self.key, self.start + begin, self.start + max(begin, end))

    def __iter__(self):
        position = self.start
        while position < self.stop:
            with self.key.lock:  # the file is shared: seek and read together
                self.key._value_buffer.seek(position)
                chunk = self.key._value_buffer.read(min(CHUNK, self.stop - position))
            if not chunk:
                return
            position += len(chunk)
            yield chunk


class _StreamingKey:
    """A FakeKey whose `value` is a lazy `_KeyBody`: what `S3Response.get_object` returns."""

    def __init__(self, key):
        self._key = key

    def __getattr__(self, name: str):
        return getattr(self._key, name)

    @property
    def value(self) -> _KeyBody:
        return _KeyBody(self._key)


def patch_moto() -> None:
    """Apply both patches (once per process)."""
    global _PATCHED
    if _PATCHED:
        return
    from moto.s3.models import FakeKey, FakeMultipart
    from moto.s3.responses import S3Response

    FakeMultipart.complete = _complete

    value = FakeKey.value
    original_setter = value.fset

    def set_value(self, new_value) -> None:
        if not isinstance(new_value, JoinedParts):
            original_setter(self, new_value)
            return
        self._value_buffer.close()
        self._value_buffer = new_value.buffer  # the joined file becomes the key's own
        self.contentsize = new_value.size

    FakeKey.value = value.setter(set_value)

    original_get_object = S3Response.get_object
    original_get_key = S3Response._get_key

    def get_object(self):
        # One S3Response per request (moto's dispatch makes a new one), so shadowing its
        # _get_key for this call touches no other request.
        def streaming_get_key(*args, **kwargs):
            key, not_modified = original_get_key(self, *args, **kwargs)
            return _StreamingKey(key), not_modified

        self._get_key = streaming_get_key
        try:
            return original_get_object(self)
        finally:
            del self._get_key

    S3Response.get_object = get_object
    _PATCHED = True


def threaded_server(host: str, port: int):
    """A started-later `ThreadedMotoServer` with the patches applied (tests use it in-process)."""
    from moto.server import ThreadedMotoServer

    patch_moto()
    return ThreadedMotoServer(ip_address=host, port=port, verbose=False)


def main(argv: list[str] | None = None) -> None:
    from moto import server

    patch_moto()
    server.main(argv)


if __name__ == "__main__":
    main()
