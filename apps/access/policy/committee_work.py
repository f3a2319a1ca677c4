"""The committee's work on a request beyond deciding it (#18): votes, reviewers, discussion,
documents. Same conflict rules as `requests.py` throughout: a conflicted member neither votes,
nor reads votes, reviews, the committee's discussion or the documents (any of which may quote
the confidential purpose)."""

from django.db.models import Q

from apps.access.models import (
    AccessRequest,
    AgreementAcceptance,
    CommitteeVote,
    DataAccessCommittee,
    DataUseAgreement,
    DecisionRule,
    RequestDocument,
    RequestMessage,
    RequestReview,
    RequestStatus,
    Thread,
)
from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.items import dataset_view_q
from apps.access.policy.requests import (
    _seat_q,
    _steward_admin_q,
    access_request_view,
    committee_view,
    request_conflict_q,
)
from apps.access.policy.subjects import active_organisation_ids, is_signed_in, is_staff
from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.organisations.models import Affiliation, AffiliationRole, Organisation
from apps.security.mfa import user_may_use_privileges

# Not in the lead's Action enum: cast a vote under a committee's voting rule.
VOTE = "vote"


def _voting_committee_q(prefix: str = "") -> Q:
    return ~Q(**{f"{prefix}dataset__project__committee__decision_rule": DecisionRule.ANY_MEMBER})


@rule(AccessRequest, VOTE)
def access_request_vote(user) -> Q:
    """Non-conflicted current seat holders of a committee that decides by vote, while the
    request is in review, controlled and undecided. Staff never vote: an escalated request is
    decided by staff directly (`Action.DECIDE`)."""
    if not is_signed_in(user) or not user_may_use_privileges(user):
        return NOTHING
    open_for_votes = Q(
        status=RequestStatus.IN_REVIEW,
        decided_at__isnull=True,
        escalated_to_staff=False,
        dataset__access_tier=AccessTier.CONTROLLED,
    )
    return open_for_votes & _voting_committee_q() & _seat_q(user) & ~request_conflict_q(user)


@rule(CommitteeVote, Action.VIEW)
def committee_vote_view(user) -> Q:
    """The votes on a request: its non-conflicted committee seats, and staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return _seat_q(user, "request__") & ~request_conflict_q(user, "request__")


# --- Reviewers --------------------------------------------------------------------------------
# Not in the lead's Action enum: ask a named person for a written review of a request.
ASK_REVIEW = "ask_review"
# What the committee sees of a request beyond its page: seats, conflicts, earlier requests.
COMMITTEE_VIEW = "committee_view"


@rule(AccessRequest, ASK_REVIEW)
def access_request_ask_review(user) -> Q:
    """Non-conflicted current seat holders, while the request is in review."""
    if not is_signed_in(user) or not user_may_use_privileges(user):
        return NOTHING
    return Q(status=RequestStatus.IN_REVIEW) & _seat_q(user) & ~request_conflict_q(user)


@rule(AccessRequest, COMMITTEE_VIEW)
def access_request_committee_view(user) -> Q:
    """The committee's side panel (seats, conflicts, the person's earlier requests): current
    seat holders, the steward organisation's admins where it approves too, and staff. Not
    reviewers (they see the one request) nor the requester."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return (_seat_q(user) | _steward_admin_q(user)) & ~Q(status=RequestStatus.DRAFT)


@rule(RequestReview, Action.VIEW)
def request_review_view(user) -> Q:
    """A review: its reviewer, the request's non-conflicted seat holders, staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    committee = _seat_q(user, "request__") & ~request_conflict_q(user, "request__")
    return Q(reviewer_id=user.pk) | committee


@rule(RequestReview, Action.EDIT)
def request_review_write(user) -> Q:
    """The reviewer writes their review once, while the request is in review and they are not
    conflicted on it."""
    if not is_signed_in(user):
        return NOTHING
    return Q(
        reviewer_id=user.pk, submitted_at__isnull=True, request__status=RequestStatus.IN_REVIEW
    ) & ~request_conflict_q(user, "request__")


# --- Discussion ---------------------------------------------------------------------------------
# Not in the lead's Action enum: post to the committee's own thread / the thread with the requester.
DISCUSS_COMMITTEE = "discuss_committee"
DISCUSS_REQUESTER = "discuss_requester"


def _unconflicted_seat_q(user, prefix: str = "") -> Q:
    return (
        _seat_q(user, prefix)
        & ~request_conflict_q(user, prefix)
        & ~Q(**{f"{prefix}status": RequestStatus.DRAFT})
    )


@rule(AccessRequest, DISCUSS_COMMITTEE)
def access_request_discuss_committee(user) -> Q:
    """The committee's own thread: non-conflicted seat holders and staff; never the requester,
    reviewers or conflicted members."""
    if not is_signed_in(user):
        return NOTHING
    if is_staff(user):
        return ~Q(status=RequestStatus.DRAFT)
    return _unconflicted_seat_q(user)


@rule(AccessRequest, DISCUSS_REQUESTER)
def access_request_discuss_requester(user) -> Q:
    """Questions and clarifications: the requester, non-conflicted seat holders and staff."""
    if not is_signed_in(user):
        return NOTHING
    submitted = ~Q(status=RequestStatus.DRAFT)
    if is_staff(user):
        return submitted
    return (Q(requester_id=user.pk) & submitted) | _unconflicted_seat_q(user)


@rule(RequestMessage, Action.VIEW)
def request_message_view(user) -> Q:
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    mine = Q(thread=Thread.REQUESTER, request__requester_id=user.pk)
    return mine | _unconflicted_seat_q(user, "request__")


# --- Documents ----------------------------------------------------------------------------------
# Not in the lead's Action enum: the requester attaches a document to their request.
ATTACH_DOCUMENT = "attach_document"
ATTACHABLE_STATUSES = (RequestStatus.DRAFT, RequestStatus.RETURNED, RequestStatus.IN_REVIEW)


@rule(AccessRequest, ATTACH_DOCUMENT)
def access_request_attach(user) -> Q:
    """The requester, while the request is a draft, returned, or in review (a committee's
    question in the thread may ask for one more document)."""
    if not is_signed_in(user):
        return NOTHING
    return Q(requester_id=user.pk, status__in=ATTACHABLE_STATUSES)


@rule(RequestDocument, Action.VIEW, Action.DOWNLOAD)
def request_document_view(user) -> Q:
    """Only the requester, the non-conflicted committee, reviewers asked about the request (not
    conflicted) and staff auditors list or download a request's documents."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    asked = Q(
        request_id__in=RequestReview.objects.filter(reviewer_id=user.pk).values("request_id")
    ) & ~request_conflict_q(user, "request__")
    return Q(request__requester_id=user.pk) | _unconflicted_seat_q(user, "request__") | asked


# --- Data use agreements -------------------------------------------------------------------------
@rule(AgreementAcceptance, Action.VIEW, Action.DOWNLOAD)
def agreement_acceptance_view(user) -> Q:
    """An accepted agreement (and its PDF): whoever may see the request it was accepted for —
    the requester, the committee, the steward organisation's admins, staff."""
    if not is_signed_in(user):
        return NOTHING
    requests = AccessRequest.objects.filter(access_request_view(user)).values("pk")
    return Q(request_id__in=requests)


@rule(DataUseAgreement, Action.VIEW)
def data_use_agreement_view(user) -> Q:
    """Agreement texts: anyone who may see the dataset (or the project's committee) it belongs
    to — a requester reads it before asking."""
    datasets = Dataset.objects.filter(dataset_view_q(user)).values("pk")
    committees = DataAccessCommittee.objects.filter(committee_view(user)).values("pk")
    return Q(dataset_id__in=datasets) | Q(committee_id__in=committees)


# --- The sharing view per partner organisation ---------------------------------------------------
# Not in the lead's Action enum: read what an organisation shares, with whom, until when.
VIEW_SHARING = "view_sharing"


@rule(Organisation, VIEW_SHARING)
def organisation_view_sharing(user) -> Q:
    """The organisation's admins and data stewards (current affiliation, approved
    organisation), and staff. Anyone else gets 404 for the page."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    stewards = Affiliation.objects.filter(
        user_id=user.pk,
        role__in=[AffiliationRole.ADMIN, AffiliationRole.DATA_STEWARD],
        organisation_id__one_of=active_organisation_ids(user),
    ).values("organisation_id")
    return Q(pk__in=stewards)
