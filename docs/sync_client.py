#!/usr/bin/env python3
"""Example partner script: keep a local copy of Stratum in step through the API.

    STRATUM_URL=https://stratum.example STRATUM_TOKEN=strat_… python sync_client.py state.json

First run (no state file): save the change feed's head cursor, then list every resource with
cursor pagination (a full sync). Later runs: replay the change feed from the saved cursor,
storing upserts and deleting tombstones. Either way the state file ends with exactly the rows
the token may see. Standard library only; the state is a JSON file for the example's sake.

It also uploads a file to a dataset (a `write` token of one of the dataset's editors), streamed
as the raw request body with its SHA-256, so Stratum stores it only if it arrived intact:

    STRATUM_URL=… STRATUM_TOKEN=… python sync_client.py upload DATASET_ID results.csv

A big file (up to the deployment's limit, 200 GiB by default) on S3-compatible storage goes in
parts straight to the bucket and resumes where it stopped when run again after a cut connection
(the upload's id is kept in FILE.stratum-upload):

    STRATUM_URL=… STRATUM_TOKEN=… python sync_client.py upload-resumable DATASET_ID sample.bam
"""

import base64
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

RESOURCES = ["organisations", "projects", "datasets", "dataset-files", "protocols", "deliverables"]
FEED_NAMES = {  # change-feed resource name → list path above
    "organisation": "organisations",
    "project": "projects",
    "dataset": "datasets",
    "dataset-file": "dataset-files",
    "protocol": "protocols",
    "deliverable": "deliverables",
}


def get(url: str, token: str) -> dict:
    """GET JSON with the token; waits and retries when throttled (429 + Retry-After)."""
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"Not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    for _ in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 429:
                problem = json.load(error)  # RFC 9457 problem details
                raise SystemExit(f"{error.code} {problem['title']}: {problem['detail']}") from None
            time.sleep(int(error.headers.get("Retry-After", "5")))
    raise SystemExit("Still throttled after five tries.")


def full_sync(base: str, token: str) -> dict:
    # The cursor is taken *before* listing: changes made during the listing are replayed
    # next time (applying one twice is harmless), so nothing falls between the two.
    state = {"cursor": get(f"{base}/api/v1/changes/?since=latest", token)["cursor"], "rows": {}}
    for resource in RESOURCES:
        rows = state["rows"].setdefault(resource, {})
        url = f"{base}/api/v1/{resource}/?page_size=200"
        while url:
            page = get(url, token)
            rows.update({row["id"]: row for row in page["results"]})
            url = page["next"]
    return state


def incremental_sync(base: str, token: str, state: dict) -> dict:
    while True:
        page = get(f"{base}/api/v1/changes/?since={state['cursor']}&page_size=200", token)
        for item in page["results"]:
            rows = state["rows"].get(FEED_NAMES.get(item["resource"], ""))
            if rows is None:
                continue  # a resource this client does not keep
            if item["op"] == "upsert":
                rows[item["id"]] = item["data"]
            else:  # deleted, or no longer visible to this token: forget it
                rows.pop(item["id"], None)
        state["cursor"] = page["cursor"]
        if not page["has_more"]:
            return state


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def upload(base: str, token: str, dataset_id: str, path: str) -> dict:
    """POST the file as the request body (streamed from disk, never read whole into memory).
    Stratum hashes what arrives and answers 400, storing nothing, if it differs from our
    SHA-256; 413 when it is over the size limit; 415 when the type is not accepted."""
    name = os.path.basename(path)
    checksum = sha256_of(path)
    url = f"{base}/api/v1/datasets/{dataset_id}/files/?" + urllib.parse.urlencode(
        {"filename": name}
    )
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"Not an http(s) URL: {url}")
    with open(path, "rb") as body:
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Content-Type": "application/octet-stream",
                "Content-Length": str(os.path.getsize(path)),
                "Content-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(checksum)).decode()}:",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
                stored = json.load(response)
        except urllib.error.HTTPError as error:
            problem = json.load(error)
            raise SystemExit(f"{error.code} {problem['title']}: {problem['detail']}") from None
    if stored["sha256"] != checksum:
        raise SystemExit(f"Stored with SHA-256 {stored['sha256']}, expected {checksum}.")
    return stored


# --- Resumable uploads straight to object storage (S3 multipart) ---------------------------------
class FileSource:
    """The bytes to upload: a file on disk, read one part at a time."""

    def __init__(self, path: str):
        self.path, self.name, self.size = path, os.path.basename(path), os.path.getsize(path)
        self._sha256: str | None = None

    def sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = sha256_of(self.path)
        return self._sha256

    def read(self, offset: int, length: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)


def call_json(method: str, url: str, token: str, payload: dict | None = None) -> dict:
    """A JSON API call; raises SystemExit with the problem's title and detail on an error."""
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"Not an http(s) URL: {url}")
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        raise SystemExit(f"{error.code} {problem['title']}: {problem['detail']}") from None
    return json.loads(body) if body else {}


def put_part(url: str, data: bytes) -> None:
    """PUT one part straight to the bucket with its presigned URL (no Stratum token: the URL
    itself is the short-lived permission)."""
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"Not an http(s) URL: {url}")
    # An explicit type: urllib would otherwise label the bytes as a form.
    request = urllib.request.Request(  # noqa: S310
        url, data=data, method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=600):  # noqa: S310
        pass


def upload_resumable(
    base: str, token: str, dataset_id: str, source, state_path: str, on_part=None, poll_seconds=2
) -> dict:
    """Upload `source` (a FileSource, or anything with name, size, sha256() and read()) in
    parts: straight to object storage, or to Stratum itself on a deployment with local storage
    (the part URLs say where). The upload's id is kept in `state_path`: after a cut connection
    or a crash, call again with the same arguments and it asks which parts are stored and sends
    only the others. Stratum checks the SHA-256 before the file appears (a large file in the
    background: this polls every `poll_seconds` until it is done); returns the stored file.
    `on_part(number)` is called after each part is sent."""
    api = f"{base}/api/v1/file-uploads/"
    upload = None
    if os.path.exists(state_path):
        with open(state_path) as handle:
            upload_id = json.load(handle)["upload"]
        upload = call_json("GET", f"{api}{upload_id}/", token)
        if upload["status"] == "aborted":
            upload = None  # swept or refused: start again
    if upload is None:
        upload = call_json(
            "POST",
            api,
            token,
            {
                "dataset": dataset_id,
                "file_name": source.name,
                "size": source.size,
                "sha256": source.sha256(),
            },
        )
        with open(state_path + ".tmp", "w") as handle:
            json.dump({"upload": upload["id"]}, handle)
        os.replace(state_path + ".tmp", state_path)
    answer = upload  # already completed or being checked when a crash interrupted the last run
    if upload["status"] == "open":
        stored = {part["number"] for part in upload["parts"]}
        for number in range(1, upload["part_count"] + 1):
            if number in stored:
                continue
            part = call_json("POST", f"{api}{upload['id']}/parts/{number}/url/", token)
            offset = (number - 1) * upload["part_size"]
            put_part(part["url"], source.read(offset, upload["part_size"]))
            if on_part is not None:
                on_part(number)
        answer = call_json("POST", f"{api}{upload['id']}/complete/", token)
    # A large file is checked by a worker: the answer is the upload, `verifying`, until then.
    while answer.get("status") == "verifying":
        time.sleep(poll_seconds)
        answer = call_json("GET", answer["url"], token)
    os.remove(state_path)
    if answer.get("status") == "aborted":
        raise SystemExit(f"The file was refused: {answer['error'] or 'the upload was abandoned'}")
    if answer.get("status") == "completed":
        return call_json("GET", answer["file"], token)
    return answer  # the stored file (201)


def settings_from_environment() -> tuple[str, str]:
    """STRATUM_URL and STRATUM_TOKEN, or one sentence saying which is missing (exit status 2)."""
    missing = [name for name in ("STRATUM_URL", "STRATUM_TOKEN") if not os.environ.get(name)]
    if missing:
        print(
            f"Set {' and '.join(missing)} in the environment first, e.g. "
            "STRATUM_URL=https://stratum.example STRATUM_TOKEN=strat_… python sync_client.py "
            "state.json",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return os.environ["STRATUM_URL"].rstrip("/"), os.environ["STRATUM_TOKEN"]


def main(path: str) -> None:
    base, token = settings_from_environment()
    if os.path.exists(path):
        with open(path) as handle:
            state = incremental_sync(base, token, json.load(handle))
    else:
        state = full_sync(base, token)
    with open(path + ".tmp", "w") as handle:
        json.dump(state, handle)
    os.replace(path + ".tmp", path)  # a crash never leaves a half-written state
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in state["rows"].items())
    print(f"In step at cursor {state['cursor']}: {counts}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "upload-resumable":
        source = FileSource(sys.argv[3])
        stored = upload_resumable(
            *settings_from_environment(), sys.argv[2], source, sys.argv[3] + ".stratum-upload"
        )
        print(f"Stored {stored['file_name']} ({stored['size']} bytes, sha256 {stored['sha256']})")
    elif len(sys.argv) == 4 and sys.argv[1] == "upload":
        stored = upload(*settings_from_environment(), *sys.argv[2:])
        print(f"Stored {stored['file_name']} ({stored['size']} bytes, sha256 {stored['sha256']})")
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "stratum-state.json")
