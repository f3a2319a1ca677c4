"""Reads for controlled access: policies as the check sees them, conflicts, queues, my lists.

Lists run a fixed number of queries whatever their length (select_related / prefetch)."""

import datetime
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django_countries import countries

from apps.access import duo
from apps.access.models import (
    OPEN_REQUEST_STATUSES,
    AccessGrant,
    AccessRequest,
    CommitteeMember,
    DataAccessCommittee,
    GrantStatus,
    RequestStatus,
)
from apps.access.policy import Action, can, visible
from apps.accounts.models import User
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DataUseCondition, DataUsePolicy, DuoTerm
from apps.diseases.models import DiseaseArea
from apps.diseases.selectors import disease_area_ancestor_ids
from apps.organisations.models import Affiliation, Organisation
from apps.projects.models import Project

# Values that are ids of rows, and the model that names them.
ID_VALUED_TERMS = {"DS": DiseaseArea, "US": User, "IS": Organisation, "PS": Project}


# --- Data-use policies ------------------------------------------------------------------------
def dataset_current_policy(dataset: Dataset) -> DataUsePolicy | None:
    return (
        DataUsePolicy.objects.filter(dataset=dataset)
        .prefetch_related(
            Prefetch("conditions", queryset=DataUseCondition.objects.select_related("term"))
        )
        .order_by("-version")
        .first()
    )


def policy_terms(policy: DataUsePolicy | None) -> dict:
    """{shorthand: value} for a policy (prefetch `conditions__term` to avoid a query each)."""
    if policy is None:
        return {}
    return {c.term.shorthand: c.value for c in policy.conditions.all()}


# Rules of the check that are not DUO terms.
OTHER_RULES = {duo.SENSITIVE: "Sensitive topics", duo.NO_PERMISSION: "Data-use permission"}


@cache
def _term_labels() -> dict[str, str]:
    return dict(DuoTerm.objects.values_list("shorthand", "label"))


def term_label(shorthand: str) -> str:
    """A DUO term by name, its code kept as a reference: 'Time limit on use (TS)'."""
    if shorthand in OTHER_RULES:
        return OTHER_RULES[shorthand]
    label = _term_labels().get(shorthand)
    if label is None:
        _term_labels.cache_clear()  # the terms load in a migration; a test may reload them
        label = _term_labels().get(shorthand)
    return f"{label[:1].upper()}{label[1:]} ({shorthand})" if label else shorthand


def disease_label(area: DiseaseArea) -> str:
    """A disease area as people read it: its name with its ICD-10 codes, "Asthma (J45)"."""
    codes = ", ".join(area.icd10_codes or ())
    return f"{area.name} ({codes})" if codes else area.name


def _row_name(row) -> str:
    if isinstance(row, DiseaseArea):
        return disease_label(row)
    if isinstance(row, User):
        return row.display_name
    if isinstance(row, Project):
        return row.acronym or row.title
    return str(row)


def _names_for_ids(terms: dict) -> dict[str, str]:
    """Display names for every id or code inside the policy's values (one query per model)."""
    names: dict[str, str] = {}
    for shorthand, model in ID_VALUED_TERMS.items():
        value = terms.get(shorthand)
        if not value:
            continue
        ids = value if isinstance(value, list) else [value]
        try:
            rows = list(model.objects.filter(pk__in=ids))
        except ValidationError:  # a malformed id in an old policy: shown as stored
            rows = []
        for row in rows:
            names[str(row.pk)] = _row_name(row)
    for code in terms.get("GS") or ():
        names[str(code)] = countries.name(str(code)) or str(code)
    return names


def check_policy(terms: dict) -> duo.Policy:
    return duo.Policy(terms=terms, names=_names_for_ids(terms))


@dataclass(frozen=True)
class PolicyLine:
    shorthand: str
    label: str
    kind: str
    value: str
    summary: str = ""


def condition_text(shorthand: str, value, names: dict) -> str:
    """A condition's value in words: names for ids, "12 months", dates as dates."""
    if value in (None, "", [], {}):
        return ""
    if shorthand == "TS":
        return duo.months(value)
    if shorthand == "MOR":
        return duo.day(value)
    if isinstance(value, list):
        return duo.listed(sorted(names.get(str(v), str(v)) for v in value))
    return names.get(str(value), str(value))


def policy_lines(policy: DataUsePolicy | None) -> list[PolicyLine]:
    """The policy as readable lines (permission first), with ids replaced by names."""
    if policy is None:
        return []
    terms = policy_terms(policy)
    names = _names_for_ids(terms)
    lines = [
        PolicyLine(
            condition.term.shorthand,
            condition.term.label,
            condition.term.kind,
            condition_text(condition.term.shorthand, condition.value, names),
            condition.term.summary,
        )
        for condition in policy.conditions.all()
    ]
    return sorted(lines, key=lambda line: (line.kind != "permission", line.shorthand))


# --- The request as the check sees it ---------------------------------------------------------
def request_diseases(
    access_request: AccessRequest, *, lineage: bool = True
) -> tuple[duo.Disease, ...]:
    """Each declared disease with its ancestor chain (DS matches children, not parents);
    without `lineage` (for display: no query per disease) only the area itself."""
    diseases = []
    for area in access_request.diseases.all():
        ancestors = disease_area_ancestor_ids(area.pk) if lineage else ()
        lineage_ids = {str(area.pk)} | {str(i) for i in ancestors}
        diseases.append(
            duo.Disease(id=str(area.pk), name=disease_label(area), lineage=frozenset(lineage_ids))
        )
    return tuple(diseases)


def request_declaration(access_request: AccessRequest, *, lineage: bool = True) -> duo.Declaration:
    r = access_request
    return duo.Declaration(
        requester_id=str(r.requester_id),
        organisation_id=str(r.organisation_id),
        organisation_is_for_profit=r.organisation.is_for_profit,
        organisation_name=r.organisation.name,
        diseases=request_diseases(r, lineage=lineage),
        is_commercial=r.is_commercial,
        is_health_research=r.is_health_research,
        is_ancestry_research=r.is_ancestry_research,
        is_methods_development=r.is_methods_development,
        is_clinical_care=r.is_clinical_care,
        is_general_research=r.is_general_research,
        is_controls_only=r.is_controls_only,
        involves_vulnerable_populations=r.involves_vulnerable_populations,
        involves_stigmatising_conditions=r.involves_stigmatising_conditions,
        involves_children=r.involves_children,
        compares_population_groups=r.compares_population_groups,
        involves_sex_or_gender=r.involves_sex_or_gender,
        involves_illegal_behaviour=r.involves_illegal_behaviour,
        involves_psychological_traits=r.involves_psychological_traits,
        is_genetic_study=r.is_genetic_study,
        location=r.location,
        ethics_reference=r.ethics_reference,
        ethics_expires_on=r.ethics_expires_on,
        attestations=frozenset(r.attestations or ()),
    )


# --- Conflicts of interest --------------------------------------------------------------------
@dataclass
class Seat:
    """A current committee seat seen from one request: may this person decide it?"""

    member: CommitteeMember
    conflict_reasons: list[str] = field(default_factory=list)

    @property
    def conflicted(self) -> bool:
        return bool(self.conflict_reasons)


def committee_current_seats(committee: DataAccessCommittee | None) -> list[CommitteeMember]:
    if committee is None:
        return []
    return list(
        committee.members.filter(ended_at__isnull=True)
        .select_related("user", "organisation")
        .order_by("-is_chair", "user__last_name", "user__first_name")
    )


def request_seats(access_request: AccessRequest) -> list[Seat]:
    """Every current seat of the dataset's committee with its conflict reasons. Mirrors
    `policy.requests.request_conflict_q`, which is what actually refuses a decision; this one
    explains it (tests assert they agree)."""
    committee = (
        DataAccessCommittee.objects.system("a request's seats are those of its own committee")
        .filter(project_id=access_request.dataset.project_id)
        .first()
    )
    members = committee_current_seats(committee)
    user_ids = [m.user_id for m in members] + [access_request.requester_id]
    orgs_by_user: dict = {}
    for affiliation in Affiliation.objects.filter(
        user_id__in=user_ids, ended_at__isnull=True
    ).select_related("organisation"):
        orgs_by_user.setdefault(affiliation.user_id, {})[affiliation.organisation_id] = (
            affiliation.organisation
        )
    requester_orgs = dict(orgs_by_user.get(access_request.requester_id, {}))
    requester_orgs[access_request.organisation_id] = access_request.organisation
    declared = {d.user_id: d.reason for d in access_request.declared_conflicts.all()}
    seats = []
    for member in members:
        reasons = []
        if member.user_id == access_request.requester_id:
            reasons.append("is the requester")
        shared = set(orgs_by_user.get(member.user_id, {})) & set(requester_orgs)
        reasons += [
            f"shares an organisation ({requester_orgs[o]})" for o in sorted(shared, key=str)
        ]
        if member.user_id in declared:
            reasons.append(f"declared a conflict: {declared[member.user_id] or 'no reason given'}")
        seats.append(Seat(member=member, conflict_reasons=reasons))
    return seats


def request_deciders(access_request: AccessRequest) -> list[User]:
    """The non-conflicted current seat holders: the people asked to decide."""
    return [seat.member.user for seat in request_seats(access_request) if not seat.conflicted]


# --- Lists ------------------------------------------------------------------------------------
def _request_list(qs: QuerySet) -> QuerySet:
    return qs.select_related(
        "dataset", "dataset__project", "requester", "organisation", "decided_by"
    )


def my_requests(user) -> QuerySet:
    return _request_list(
        visible(user, AccessRequest.objects.filter(requester_id=user.pk))
    ).order_by("-created_at")


def my_grants(user) -> QuerySet:
    return (
        visible(user, AccessGrant.objects.filter(user_id=user.pk))
        .select_related("dataset", "dataset__project", "organisation", "request")
        .order_by("-valid_from")
    )


def grant_is_live(grant: AccessGrant, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return grant.status == GrantStatus.ACTIVE and grant.valid_from <= now < grant.valid_until


def committee_queue(committee: DataAccessCommittee, user) -> QuerySet:
    """Requests for the committee's project that the user may see, open ones first."""
    qs = visible(user, AccessRequest.objects.filter(dataset__project_id=committee.project_id))
    return _request_list(qs.exclude(status=RequestStatus.DRAFT)).order_by("submitted_at")


def requests_awaiting_decision_by(user) -> QuerySet:
    return _request_list(
        visible(user, AccessRequest.objects.all(), Action.DECIDE).order_by("submitted_at")
    )


def earlier_requests(access_request: AccessRequest) -> QuerySet:
    """The same person's other requests for datasets of the same project."""
    return (
        AccessRequest.objects.system(
            "the committee sees the requester's earlier requests in its project (ACCESS.md)"
        )
        .filter(
            requester_id=access_request.requester_id,
            dataset__project_id=access_request.dataset.project_id,
        )
        .exclude(pk=access_request.pk)
        .exclude(status=RequestStatus.DRAFT)
        .select_related("dataset")
        .order_by("-created_at")
    )


def open_request_for(user, dataset: Dataset) -> AccessRequest | None:
    return visible(
        user,
        AccessRequest.objects.filter(
            requester_id=user.pk, dataset=dataset, status__in=OPEN_REQUEST_STATUSES
        ),
    ).first()


def live_grant_for(user, dataset: Dataset) -> AccessGrant | None:
    return visible(
        user,
        AccessGrant.objects.filter(
            user_id=user.pk,
            dataset=dataset,
            status__in=[GrantStatus.ACTIVE, GrantStatus.SUSPENDED],
        ),
    ).first()


def default_grant_days() -> int:
    return getattr(settings, "STRATUM_GRANT_DEFAULT_DAYS", 365)


def declared_research_types(access_request: AccessRequest) -> list[str]:
    """The declared research types in words, exactly as the check reads them."""
    types = request_declaration(access_request, lineage=False).research_types()
    return [t[:1].upper() + t[1:] for t in types] or ["None declared"]


def declared_sensitive_topics(access_request: AccessRequest) -> list[str]:
    topics = request_declaration(access_request, lineage=False).sensitive_topics()
    return [t[:1].upper() + t[1:] for t in topics]


def accepted_obligations(access_request: AccessRequest) -> list[str]:
    """The obligations the requester accepted, in the words they accepted them."""
    terms = policy_terms(access_request.policy) if access_request.policy_id else {}
    return [duo.obligation_text(t, terms.get(t)) for t in access_request.attestations or ()]


def grant_obligations(grant: AccessGrant) -> list[str]:
    """What the holder is bound by, as sentences: obligations in the words accepted, other
    conditions by name with their values ("Time limit on use: 12 months")."""
    stored = {o["term"]: o.get("value") for o in grant.obligations or ()}
    names = _names_for_ids(stored)
    lines = []
    for term, value in stored.items():
        if term in duo.OBLIGATIONS:
            lines.append(duo.obligation_text(term, value))
            continue
        text = condition_text(term, value, names)
        lines.append(f"{term_label(term)}: {text}" if text else term_label(term))
    return lines


# --- Where a person stands on a controlled dataset (the dataset page's access panel) ----------
class PanelState:
    NO_ACCESS = "no_access"  # nothing yet (or only closed requests): request access
    IN_REVIEW = "in_review"  # an open request: follow it
    GRANTED = "granted"  # a live grant: until when, download, renew
    ENDED = "ended"  # the last grant expired, was revoked or is suspended: why, re-apply


@dataclass(frozen=True)
class AccessPanel:
    state: str
    headline: str  # one sentence: where the person stands
    detail: str = ""  # why, or what happens next
    request: AccessRequest | None = None  # the open request, or the last closed one
    grant: AccessGrant | None = None
    renewal: AccessRequest | None = None  # an open request renewing the live grant
    can_request: bool = False
    valid_until: datetime.datetime | None = None
    conditions: list[PolicyLine] = field(default_factory=list)


def _local_day(moment: datetime.datetime) -> str:
    return duo.day(timezone.localtime(moment).date())


def _grant_end_words(grant: AccessGrant, now: datetime.datetime) -> tuple[str, str]:
    """Why a grant that is not live ended, as a headline and a detail sentence."""
    reason = grant.status_reason.strip()
    if grant.status == GrantStatus.REVOKED:
        when = f" on {_local_day(grant.status_changed_at)}" if grant.status_changed_at else ""
        return f"Your access was revoked{when}.", f"Reason: {reason}" if reason else ""
    if grant.status == GrantStatus.SUSPENDED:
        return (
            "Your access is suspended.",
            (f"Reason: {reason} " if reason else "")
            + "It can be reinstated; you cannot apply again while it is suspended.",
        )
    ended = min(grant.valid_until, grant.status_changed_at or grant.valid_until)
    if grant.status == GrantStatus.ACTIVE and grant.valid_until <= now:
        ended = grant.valid_until
    return f"Your access expired on {_local_day(ended)}.", reason


def dataset_access_panel(user, dataset: Dataset) -> AccessPanel | None:
    """Where `user` stands on a controlled dataset, for the dataset page and the API's
    `your_access`: no access yet, a request in review, access granted, or access ended. None
    for other tiers and for people who are not signed in. The caller fetched `dataset` through
    the policy; everything read here is the user's own."""
    if dataset.access_tier != AccessTier.CONTROLLED or not getattr(user, "is_authenticated", 0):
        return None
    now = timezone.now()
    conditions = policy_lines(dataset_current_policy(dataset))
    may_request = can(user, Action.REQUEST_ACCESS, dataset)
    own_grants = visible(user, AccessGrant.objects.filter(user_id=user.pk, dataset=dataset))
    grants = list(own_grants.order_by("-valid_from")[:1])
    grant = grants[0] if grants else None
    requests = visible(user, AccessRequest.objects.filter(requester_id=user.pk, dataset=dataset))
    open_request = requests.filter(status__in=OPEN_REQUEST_STATUSES).first()
    if grant is not None and grant_is_live(grant, now):
        renewal = open_request if open_request and open_request.renews_grant_id else None
        return AccessPanel(
            state=PanelState.GRANTED,
            headline=f"You have access until {_local_day(grant.valid_until)}.",
            detail="Your renewal request is with the committee." if renewal else "",
            grant=grant,
            renewal=renewal,
            valid_until=grant.valid_until,
            conditions=conditions,
        )
    if open_request is not None:
        return AccessPanel(
            state=PanelState.IN_REVIEW,
            headline=_open_request_words(open_request),
            request=open_request,
            conditions=conditions,
        )
    if grant is not None:
        headline, detail = _grant_end_words(grant, now)
        return AccessPanel(
            state=PanelState.ENDED,
            headline=headline,
            detail=detail,
            grant=grant,
            can_request=may_request,
            valid_until=grant.valid_until,
            conditions=conditions,
        )
    last = requests.exclude(status=RequestStatus.DRAFT).order_by("-created_at").first()
    detail = ""
    if last is not None and last.status in (RequestStatus.REFUSED, RequestStatus.REJECTED):
        detail = f"Your last request was {last.get_status_display().lower()}."
    return AccessPanel(
        state=PanelState.NO_ACCESS,
        headline="You do not have access to this dataset’s files yet.",
        detail=detail,
        request=last,
        can_request=may_request,
        conditions=conditions,
    )


def _open_request_words(access_request: AccessRequest) -> str:
    status = access_request.status
    if status == RequestStatus.DRAFT:
        return "You have a draft request; it has not been sent to the committee yet."
    if status == RequestStatus.RETURNED:
        return "The committee returned your request for changes."
    submitted = access_request.submitted_at
    since = f" since {_local_day(submitted)}" if submitted else ""
    return f"Your request is in review by the data access committee{since}."
