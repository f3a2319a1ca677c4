"""Controlled access: requests, grants, committees (ACCESS.md).

Conflict of interest is part of the rules, not of the views: a committee member is conflicted
on a request when they are the requester, share a current organisation with the requester
(the request's organisation or any of the requester's current ones), or declared a conflict.
Conflicted people see that a request exists but not its purpose, and cannot decide it.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.access.models import (
    OPEN_REQUEST_STATUSES,
    AccessGrant,
    AccessRequest,
    DataAccessCommittee,
    DeclaredConflict,
    RequestReview,
    RequestStatus,
)
from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.items import _NotStaff, dataset_view_q
from apps.access.policy.projects import insider_q
from apps.access.policy.subjects import (
    facts,
    has_active_affiliation_q,
    is_signed_in,
    is_staff,
    member_of_project_q,
    member_project_ids,
)
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.organisations.models import Affiliation
from apps.projects.models import MembershipRole
from apps.security.mfa import user_may_use_privileges

# Not in the lead's Action enum: the steward organisation's second approval of a request.
STEWARD_APPROVE = "steward_approve"


# --- Who the user is, for access (subqueries) -----------------------------------------------------
def seat_project_ids(user) -> tuple:
    """Projects whose committee the user sits on now, through an organisation they still
    belong to and that is still approved (leaving or suspension ends the power at once)."""
    return facts(user).seat_project_ids


def current_organisation_ids(user) -> tuple:
    """Every organisation the user currently belongs to, whatever its status: a suspended
    organisation is still a shared interest for conflict purposes."""
    return facts(user).current_organisation_ids


def admin_organisation_ids(user) -> tuple:
    """Approved organisations the user is a current admin of."""
    return facts(user).admin_organisation_ids


def request_conflict_q(user, prefix: str = "") -> Q:
    """True for requests on which `user` is conflicted (see the module docstring)."""
    mine = current_organisation_ids(user)
    requester_shares = Exists(
        Affiliation.objects.filter(
            user_id=OuterRef(f"{prefix}requester_id"),
            ended_at__isnull=True,
            organisation_id__one_of=mine,
        )
    )
    declared = Exists(
        DeclaredConflict.objects.filter(request_id=OuterRef(f"{prefix}pk"), user_id=user.pk)
    )
    return (
        Q(**{f"{prefix}requester_id": user.pk})
        | Q(**{f"{prefix}organisation_id__one_of": mine})
        | Q(requester_shares)
        | Q(declared)
    )


def _seat_q(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}dataset__project_id__one_of": seat_project_ids(user)})


def _steward_admin_q(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}dataset__requires_steward_approval": True}) & Q(
        **{f"{prefix}dataset__steward_organisation_id__one_of": admin_organisation_ids(user)}
    )


# --- AccessRequest --------------------------------------------------------------------------------
@rule(AccessRequest, Action.VIEW)
def access_request_view(user) -> Q:
    """The requester; committee seats of the dataset's project (drafts are private); the
    steward organisation's admins where the dataset asks for their approval; staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    reviewers = (_seat_q(user) | _steward_admin_q(user) | _asked_reviewer_q(user)) & ~Q(
        status=RequestStatus.DRAFT
    )
    return Q(requester_id=user.pk) | reviewers


def _asked_reviewer_q(user) -> Q:
    """A person the committee asked for a written review of this one request (#18)."""
    return Q(pk__in=RequestReview.objects.filter(reviewer_id=user.pk).values("request_id"))


@rule(AccessRequest, Action.VIEW_PURPOSE)
def access_request_view_purpose(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return Q(requester_id=user.pk) | (access_request_view(user) & ~request_conflict_q(user))


@rule(AccessRequest, Action.DECIDE)
def access_request_decide(user) -> Q:
    """Non-conflicted current seat holders, or staff once the request escalated to them; only
    while the request is in review, controlled and not yet decided by the committee."""
    if not is_signed_in(user) or not user_may_use_privileges(user):
        return NOTHING  # no second factor yet where the role requires one (apps.security)
    deciders = _seat_q(user)
    if is_staff(user):
        deciders |= Q(escalated_to_staff=True)
    open_for_decision = Q(
        status=RequestStatus.IN_REVIEW,
        decided_at__isnull=True,
        dataset__access_tier=AccessTier.CONTROLLED,
    )
    return open_for_decision & deciders & ~request_conflict_q(user)


@rule(AccessRequest, STEWARD_APPROVE)
def access_request_steward_approve(user) -> Q:
    """The steward organisation's second approval, after the committee approved."""
    if not is_signed_in(user) or not user_may_use_privileges(user):
        return NOTHING
    awaiting = Q(
        status=RequestStatus.IN_REVIEW,
        decided_at__isnull=False,
        steward_approved_at__isnull=True,
    )
    return awaiting & _steward_admin_q(user) & ~request_conflict_q(user)


@rule(AccessRequest, Action.EDIT)
def access_request_edit(user) -> Q:
    """Only the requester, and only while the request is theirs to change."""
    if not is_signed_in(user):
        return NOTHING
    return Q(requester_id=user.pk, status__in=[RequestStatus.DRAFT, RequestStatus.RETURNED])


# --- Requesting access to a dataset ---------------------------------------------------------------
@rule(Dataset, Action.REQUEST_ACCESS)
def dataset_request_access(user) -> Q:
    """A controlled, published dataset the user can see (not by being staff), with an active
    affiliation and no open request of theirs for it already."""
    if not is_signed_in(user):
        return NOTHING
    open_request = Exists(
        AccessRequest.objects.filter(
            dataset_id=OuterRef("pk"), requester_id=user.pk, status__in=OPEN_REQUEST_STATUSES
        )
    )
    return (
        Q(access_tier=AccessTier.CONTROLLED, status=DatasetStatus.PUBLISHED)
        & dataset_view_q(_NotStaff(user))
        & has_active_affiliation_q(user)
        & ~Q(open_request)
    )


# --- AccessGrant ----------------------------------------------------------------------------------
def _coordinated_project_ids(user) -> QuerySet:
    return member_project_ids(user, roles=[MembershipRole.COORDINATOR])


def _coordinator_q(user) -> Q:
    """A coordinator of the committee's project (its row's `project`)."""
    return member_of_project_q(user, "project__", roles=[MembershipRole.COORDINATOR])


@rule(AccessGrant, Action.VIEW)
def access_grant_view(user) -> Q:
    """The holder, the project's coordinators and committee, the steward's admins, staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return (
        Q(user_id=user.pk)
        | Q(dataset__project_id__one_of=_coordinated_project_ids(user))
        | Q(dataset__project_id__one_of=seat_project_ids(user))
        | Q(dataset__steward_organisation_id__one_of=admin_organisation_ids(user))
    )


@rule(AccessGrant, Action.MANAGE)
def access_grant_manage(user) -> Q:
    """Revoke, suspend, reinstate: the committee (not on their own organisation's grants) and
    staff."""
    if not is_signed_in(user):
        return NOTHING
    managers = Q(dataset__project_id__one_of=seat_project_ids(user))
    if is_staff(user):
        managers = Q()
    conflicted = Q(user_id=user.pk) | Q(organisation_id__one_of=current_organisation_ids(user))
    return managers & ~conflicted


# --- DataAccessCommittee --------------------------------------------------------------------------
@rule(DataAccessCommittee, Action.VIEW)
def committee_view(user) -> Q:
    """The committee page (its queue) for its members, the project's coordinators and staff;
    the consortium may know who sits on it."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return (
        insider_q(user, "project__")
        | Q(project_id__one_of=seat_project_ids(user))
        | _coordinator_q(user)
    )


@rule(DataAccessCommittee, Action.VIEW_DETAILS)
def committee_view_queue(user) -> Q:
    """The decision queue: current seat holders, the project's coordinators, staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return Q(project_id__one_of=seat_project_ids(user)) | _coordinator_q(user)


@rule(DataAccessCommittee, Action.MANAGE)
def committee_manage(user) -> Q:
    """Seats and the chair: the project's coordinators and staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return _coordinator_q(user)
