"""The sharing view per partner organisation (#18): every grant on the datasets the
organisation stewards (who holds access, through which organisation, under which agreement
version, until when; expiring first), and per project the committee's backlog and median
decision time for those datasets. Reads only; the page asks the policy who may see it."""

import statistics
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.access.models import AccessGrant, AccessRequest, GrantStatus, RequestStatus

# The organisation's own sharing: views/sharing.py asks the policy (VIEW_SHARING on the steward
# organisation) before either list below is read.
_SHOWN_TO_STEWARDS = "the steward organisation's sharing view, after VIEW_SHARING on it"

LIVE = (GrantStatus.ACTIVE, GrantStatus.SUSPENDED)
DECIDED = (RequestStatus.APPROVED, RequestStatus.REJECTED)


def stewarded_grants(organisation) -> QuerySet:
    """Grants that hold (or, suspended, may again hold) access to the organisation's stewarded
    datasets, the soonest to end first."""
    return (
        AccessGrant.objects.filter(
            dataset__steward_organisation_id=organisation.pk, status__in=LIVE
        )
        .select_related(
            "dataset",
            "dataset__project",
            "user",
            "organisation",
            "agreement_acceptance__agreement",
        )
        .order_by("valid_until", "dataset__title")
        .system(_SHOWN_TO_STEWARDS)
    )


@dataclass(frozen=True)
class ProjectBacklog:
    project_title: str
    project_acronym: str
    backlog: int
    decided: int
    median_days: float | None


def project_backlogs(organisation) -> list[ProjectBacklog]:
    """Per project with stewarded datasets: requests in review, and the median time from
    submission to decision of those decided (one query each, folded here)."""
    requests = AccessRequest.objects.filter(
        dataset__steward_organisation_id=organisation.pk
    ).exclude(submitted_at__isnull=True)
    rows = requests.system(_SHOWN_TO_STEWARDS).values_list(
        "dataset__project__title",
        "dataset__project__acronym",
        "status",
        "submitted_at",
        "decided_at",
    )
    by_project: dict[tuple, dict] = {}
    for title, acronym, status, submitted, decided in rows:
        entry = by_project.setdefault((title, acronym), {"backlog": 0, "durations": []})
        if status == RequestStatus.IN_REVIEW:
            entry["backlog"] += 1
        elif status in DECIDED and decided is not None:
            entry["durations"].append((decided - submitted).total_seconds() / 86400)
    return [
        ProjectBacklog(
            project_title=title,
            project_acronym=acronym,
            backlog=entry["backlog"],
            decided=len(entry["durations"]),
            median_days=round(statistics.median(entry["durations"]), 1)
            if entry["durations"]
            else None,
        )
        for (title, acronym), entry in sorted(by_project.items())
    ]


CSV_HEADER = [
    "dataset",
    "project",
    "holder",
    "holder_email",
    "through_organisation",
    "status",
    "agreement_version",
    "valid_from",
    "valid_until",
]


def grant_csv_rows(grants) -> list[list[str]]:
    rows = []
    for g in grants:
        acceptance = g.agreement_acceptance
        rows.append(
            [
                g.dataset.title,
                g.dataset.project.acronym,
                g.user.display_name,
                g.user.email,
                g.organisation.name,
                g.get_status_display(),
                str(acceptance.agreement.version) if acceptance else "",
                g.valid_from.date().isoformat(),
                g.valid_until.date().isoformat(),
            ]
        )
    return rows
