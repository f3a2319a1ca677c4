"""Reads over the audit log and the access records it exports. Visibility comes from the one
policy module: `visible(user, AuditEvent.objects…)`."""

import datetime

from django.db.models import QuerySet

from apps.access.models import AccessGrant, AccessRequest, RequestStatus
from apps.access.policy import visible
from apps.audit.models import AuditEvent

DOWNLOAD_ACTION = "dataset.file.download"


def audit_events_for(user) -> QuerySet:
    return visible(user, AuditEvent.objects.all()).select_related("actor")


def audit_events_filtered(queryset: QuerySet, filters: dict) -> QuerySet:
    """Apply the audit page's filters (already cleaned by AuditFilterForm)."""
    if filters.get("action"):
        queryset = queryset.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        queryset = queryset.filter(actor__email__icontains=filters["actor"])
    if filters.get("target_type"):
        queryset = queryset.filter(target_type=filters["target_type"])
    if filters.get("target_id"):
        queryset = queryset.filter(target_id=filters["target_id"])
    if filters.get("project"):
        queryset = queryset.filter(project_id=filters["project"].pk)
    if filters.get("date_from"):
        queryset = queryset.filter(occurred_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(occurred_at__date__lte=filters["date_to"])
    return queryset


def dataset_download_events(user, dataset) -> QuerySet:
    return audit_events_for(user).filter(
        action=DOWNLOAD_ACTION, details__dataset_id=str(dataset.pk)
    )


def dataset_grants(dataset) -> QuerySet:
    """Who had access when: every grant of the dataset, oldest first. For the dataset's
    auditors only: the caller looked the dataset up with the AUDIT action."""
    return (
        AccessGrant.objects.system("an auditor of the dataset sees every grant on it")
        .filter(dataset=dataset)
        .select_related("user", "organisation", "request", "policy", "status_changed_by")
        .order_by("valid_from")
    )


def person_grants(user, person) -> QuerySet:
    return (
        visible(user, AccessGrant.objects.filter(user=person))
        .select_related("dataset", "dataset__project", "organisation", "policy")
        .order_by("valid_from")
    )


def committee_decisions(committee) -> QuerySet:
    decided = (
        RequestStatus.APPROVED,
        RequestStatus.REJECTED,
        RequestStatus.RETURNED,
        RequestStatus.REFUSED,
    )
    # For the committee's own export: the caller looked the committee up with VIEW_DETAILS.
    return (
        AccessRequest.objects.system("a committee's decisions, for the committee's export")
        .filter(dataset__project_id=committee.project_id, status__in=decided)
        .select_related("dataset", "requester", "organisation", "decided_by")
        .order_by("decided_at", "submitted_at")
    )


def days_between(start: datetime.datetime | None, end: datetime.datetime | None) -> str:
    if not start or not end:
        return ""
    return f"{(end - start).total_seconds() / 86400:.1f}"
