"""Reads: milestones and deliverables as the policy lets each person see them."""

import datetime

from django.apps import apps as django_apps
from django.db.models import Q, QuerySet

from apps.access.policy import visible
from apps.access.policy.milestones import can_see_milestones, public_deliverable_q
from apps.access.policy.subjects import member_project_ids
from apps.core.kinds import evidence_parts
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion
from apps.milestones.models import Deliverable, Milestone, MilestoneChange
from apps.milestones.timeline import OPEN

PORTFOLIO_DAYS = 30


def project_milestones(user, project):
    return (
        visible(user, Milestone.objects.filter(project=project))
        .select_related("project", "work_package", "owner_organisation", "owner")
        .order_by("due_date", "title")
    )


def first_due_dates(milestones) -> dict:
    """{milestone id: its original due date} for milestones deferred at least once."""
    changes = (
        MilestoneChange.objects.filter(milestone__in=milestones, old_due_date__isnull=False)
        .order_by("milestone_id", "created_at")
        .values_list("milestone_id", "old_due_date")
    )
    first = {}
    for milestone_id, old in changes:
        first.setdefault(milestone_id, old)
    return first


def project_deliverables(user, project):
    return (
        visible(user, Deliverable.objects.filter(project=project))
        .select_related("project", "work_package", "lead_organisation", "author", "approver")
        .order_by("code")
    )


def deliverable_datasets(user, deliverable_ids) -> QuerySet:
    """Datasets linked as evidence to any of `deliverable_ids` that `user` may see (drafts
    and tiers above the person's standing drop out): the page and the API both read this."""
    links = Deliverable.datasets.through.objects.filter(deliverable_id__in=deliverable_ids)
    datasets = Dataset.objects.filter(pk__in=links.values("dataset_id"))
    return visible(user, datasets).order_by("title", "pk")


def deliverable_protocol_versions(user, deliverable_ids) -> QuerySet:
    """Protocol versions linked as evidence to any of `deliverable_ids` that `user` may see
    (a draft version only to the project's editors; the protocol's tier first)."""
    links = Deliverable.protocol_versions.through.objects.filter(deliverable_id__in=deliverable_ids)
    versions = ProtocolVersion.objects.filter(pk__in=links.values("protocolversion_id"))
    return visible(user, versions).order_by("protocol__title", "number", "pk")


def deliverable_cited(user, deliverable_ids, part) -> QuerySet:
    """The rows of an evidence `part` (`apps.core.kinds.evidence_parts`) linked to any of
    `deliverable_ids` that `user` may see."""
    model = django_apps.get_model(part.model)
    links = getattr(Deliverable, part.evidence).through.objects.filter(
        deliverable_id__in=deliverable_ids
    )
    cited = model.objects.filter(pk__in=links.values(f"{model._meta.model_name}_id"))
    return visible(user, cited)


def deliverable_evidence(user, deliverable) -> list[dict]:
    """Every piece of evidence of `deliverable` that `user` may see (label, title, version
    number or None, url), each shared kind's citable part in turn (`apps.core.kinds`), one
    query per part."""
    rows = []
    for part in evidence_parts():
        model = django_apps.get_model(part.model)
        links = getattr(Deliverable, part.evidence).through.objects.filter(
            deliverable_id=deliverable.pk
        )
        target = f"{model._meta.model_name}_id"
        cited = model.objects.filter(pk__in=links.values(target))
        parent = part.parent_fk.removesuffix("_id")
        if parent:
            cited = cited.select_related(parent)
        rows += [
            {
                "label": part.evidence_label,
                "title": str(getattr(row, parent)) if parent else str(row),
                "number": getattr(row, "number", None),
                "url": row.get_absolute_url(),
            }
            for row in visible(user, cited).order_by("pk")
        ]
    return rows


def my_project_ids(user):
    return member_project_ids(user)


def portfolio_milestones(user, *, today: datetime.date, days: int = PORTFOLIO_DAYS):
    """Open milestones of my projects due within `days`, plus every late one."""
    horizon = today + datetime.timedelta(days=days)
    return (
        visible(user, Milestone.objects.filter(project_id__in=my_project_ids(user)))
        .filter(status__in=OPEN, due_date__lte=horizon)
        .select_related("project", "owner_organisation", "owner")
        .order_by("due_date", "project__acronym", "title")
    )


def portfolio_deliverables(user, *, today: datetime.date, days: int = PORTFOLIO_DAYS):
    horizon = today + datetime.timedelta(days=days)
    unfinished = ~Q(status__in=[Deliverable.Status.APPROVED, Deliverable.Status.SUBMITTED])
    return (
        visible(user, Deliverable.objects.filter(project_id__in=my_project_ids(user)))
        .filter(unfinished, due_date__isnull=False, due_date__lte=horizon)
        .select_related("project", "lead_organisation")
        .order_by("due_date", "project__acronym", "code")
    )


def public_deliverables(user):
    """The public catalogue's deliverables: approved or submitted, public dissemination, in a
    live project whose summary is public. The projects catalogue may embed this."""
    return (
        visible(user, Deliverable.objects.filter(public_deliverable_q()))
        .select_related("project", "lead_organisation", "work_package")
        .order_by("project__acronym", "code")
    )


def milestone_history(milestone):
    return milestone.changes.select_related("actor").order_by("-created_at")


def can_see_project_milestones(user, project) -> bool:
    """Milestones are the consortium's internal plan: the consortium and staff see them."""
    return can_see_milestones(user, project)
