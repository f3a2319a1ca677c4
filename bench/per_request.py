#!/usr/bin/env python
"""CPU per request, in process: the signed-in pages and API list of `bench/run.py`, one request
at a time through Django's test client, with production settings against a scale database.

    DJANGO_SETTINGS_MODULE=portal.settings.production DATABASE_URL=… REDIS_URL=… \\
        .venv/bin/python bench/per_request.py --scale s --runs 15

Prints, per request: median CPU of this process (`time.process_time`, so other sessions on a
shared machine weigh less than in wall time), median wall time, statements, and the 1-minute
load average when the row was measured. PostgreSQL's own CPU is not included (another process).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="s")
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import User
    from apps.api.tokens import api_token_create
    from apps.core.guard import system_reads

    with system_reads("benchmark setup: the persona, a token and the project to open"):
        persona = User.objects.get(email=f"bench-{options.scale}@scale.stratum.test")
        token = api_token_create(user=persona, name="per-request", scopes=("read",), expires_days=1)
        from apps.projects.models import Project

        slug = Project.objects.filter(memberships__user=persona).values_list("slug", flat=True)[0]
        # The persona administers its organisation, a role that must have a second factor
        # (as bench/run.py's session): enrol one once, or every page redirects to enrolment.
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        if not Authenticator.objects.filter(user=persona, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(persona, generate_totp_secret())
    session = Client()
    session.force_login(persona)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    anonymous = Client()
    requests = [
        ("/healthz", anonymous, "/healthz"),
        ("signed-in home /", session, "/"),
        ("project page", session, f"/projects/{slug}/"),
        ("dataset list /datasets/", session, "/datasets/"),
        ("API datasets page_size=50", api, "/api/v1/datasets/?page_size=50"),
        ("signed-in search", session, "/projects/?q=asthma+biomarker"),
        ("search page + facets, signed in", session, "/search/?q=asthma+biomarker"),
        ("API search + facets, signed in", api, "/api/v1/search/?q=asthma+biomarker"),
        ("suggestions 'eosin', signed in", session, "/search/suggest/?q=eosin"),
        ("suggestions 'ast', anonymous", anonymous, "/search/suggest/?q=ast"),
    ]
    print("| request | CPU ms (median) | wall ms (median) | statements | load avg (1 min) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, client, path in requests:
        for _ in range(2):  # warm caches and the process
            client.get(path, secure=True)
        cpu, wall = [], []
        for _ in range(options.runs):
            c0, w0 = time.process_time(), time.perf_counter()
            response = client.get(path, secure=True)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.get("Location"))
        with CaptureQueriesContext(connection) as queries:
            client.get(path, secure=True)
        print(
            f"| {name} | {statistics.median(cpu):.2f} | {statistics.median(wall):.2f} "
            f"| {len(queries)} | {os.getloadavg()[0]:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
