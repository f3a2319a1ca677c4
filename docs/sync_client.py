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
    if len(sys.argv) == 4 and sys.argv[1] == "upload":
        stored = upload(*settings_from_environment(), *sys.argv[2:])
        print(f"Stored {stored['file_name']} ({stored['size']} bytes, sha256 {stored['sha256']})")
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "stratum-state.json")
