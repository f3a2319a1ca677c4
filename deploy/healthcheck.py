"""Container healthcheck: GET /healthz on the local gunicorn, with a Host the app accepts.

Uses only the standard library (the image has no curl). Exit 0 = healthy, 1 = not.
"""

import http.client
import os
import sys


def probe_host() -> str:
    # ALLOWED_HOSTS may hold ".example.org" or "*"; any concrete name in it will do.
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and "*" not in host:
            return host
    return "localhost"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/healthz", headers={"Host": probe_host()})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"healthz unreachable: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"healthz answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
