"""The access demo: committees, policies and the three showcase requests; idempotent."""

import importlib
import io

from apps.access.models import AccessGrant, AccessRequest, CommitteeMember, DataAccessCommittee
from apps.audit.models import AuditEvent
from apps.datasets.models import DataUsePolicy

BEFORE = ["accounts", "organisations", "projects", "documents", "datasets"]


def counts() -> tuple:
    return (
        DataAccessCommittee.objects.count(),
        CommitteeMember.objects.count(),
        DataUsePolicy.objects.count(),
        AccessRequest.objects.count(),
        AccessGrant.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_demo_seeds_committees_policies_and_three_requests_once(db):
    out = io.StringIO()
    for app in BEFORE:
        importlib.import_module(f"apps.seeding.demo.{app}").seed(out)
    access_demo = importlib.import_module("apps.seeding.demo.access")
    access_demo.seed(out)
    first = counts()
    statuses = sorted(AccessRequest.objects.values_list("status", flat=True))
    assert statuses == ["approved", "in_review", "rejected"]
    assert AccessGrant.objects.get().user.email == "demo@stratum.test"
    assert first[0] == 3 and first[2] == 3  # a committee and a controlled policy per consortium

    access_demo.seed(out)
    assert counts() == first


def test_no_two_reasons_on_any_seeded_request_contradict_each_other(db):
    from apps.access.selectors import policy_terms, request_declaration
    from tests.access.contradictions import contradictions

    out = io.StringIO()
    for app in [*BEFORE, "access"]:
        importlib.import_module(f"apps.seeding.demo.{app}").seed(out)
    seeded = list(AccessRequest.objects.exclude(check_results=[]))
    assert len(seeded) == 3
    for access_request in seeded:
        reasons = [verdict["reason"] for verdict in access_request.check_results]
        terms = policy_terms(access_request.policy)
        declaration = request_declaration(access_request)
        assert len(reasons) >= 3
        assert contradictions(reasons, declaration, terms) == [], access_request.purpose
