"""Who reads the audit log. Staff read all of it; a project's coordinators read the events of
their project; a dataset steward organisation's admins read the download log of its datasets."""

from django.db.models import Q

from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.requests import admin_organisation_ids
from apps.access.policy.subjects import is_signed_in, is_staff, member_project_ids
from apps.audit.models import AuditEvent
from apps.datasets.models import Dataset
from apps.projects.models import MembershipRole, Project

DOWNLOAD_ACTION = "dataset.file.download"


@rule(AuditEvent, Action.VIEW)
def audit_event_view(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    coordinated = member_project_ids(user, roles=[MembershipRole.COORDINATOR])
    # Download events carry the steward organisation as their organisation.
    stewarded_downloads = Q(
        action=DOWNLOAD_ACTION, organisation_id__one_of=admin_organisation_ids(user)
    )
    return Q(project_id__one_of=coordinated) | stewarded_downloads


# Not in the lead's Action enum: read a dataset's download log and who-had-access export.
AUDIT = "audit"


@rule(Dataset, AUDIT)
def dataset_audit(user) -> Q:
    """The steward organisation's admins, the project's coordinators, staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    coordinated = member_project_ids(user, roles=[MembershipRole.COORDINATOR])
    return Q(steward_organisation_id__one_of=admin_organisation_ids(user)) | Q(
        project_id__one_of=coordinated
    )


@rule(Project, AUDIT)
def project_audit(user) -> Q:
    """A project's audit log: its coordinators and staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return Q(id__one_of=member_project_ids(user, roles=[MembershipRole.COORDINATOR]))
