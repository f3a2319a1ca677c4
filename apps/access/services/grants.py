"""Access grants: what the download check reads. Suspension, revocation, reinstatement and
expiry are services here; creation happens only through an approved request (requests.py)."""

import calendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from apps.access.exceptions import TransitionError
from apps.access.models import AccessGrant, GrantStatus
from apps.access.services.agreements import latest_acceptance
from apps.audit.services import audit_record
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import Affiliation


def _grant_audit(
    *,
    grant: AccessGrant,
    actor,
    action: str,
    from_state: str,
    reason: str,
    request=None,
    actor_role: str = "",
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=grant,
        request=request,
        actor_role=actor_role,
        organisation_id=grant.organisation_id,
        project_id=grant.dataset.project_id,
        from_state=from_state,
        to_state=grant.status,
        reason=reason,
        details={
            "user": str(grant.user_id),
            "dataset": str(grant.dataset_id),
            "valid_until": grant.valid_until.isoformat(),
        },
    )


def _set_status(*, grant: AccessGrant, status: str, actor, reason: str) -> str:
    previous = grant.status
    grant.status = status
    grant.status_reason = reason
    grant.status_changed_at = timezone.now()
    grant.status_changed_by = actor if getattr(actor, "is_authenticated", False) else None
    grant.full_clean()
    grant.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_at",
            "status_changed_by",
            "updated_at",
        ]
    )
    return previous


def _suspend_each(grants: QuerySet, *, actor, reason: str, action: str) -> list[AccessGrant]:
    """Lock the live grants first so a concurrent revoke or reinstate cannot interleave."""
    suspended = []
    for grant in grants.select_for_update().select_related("dataset"):
        previous = _set_status(
            grant=grant, status=GrantStatus.SUSPENDED, actor=actor, reason=reason
        )
        _grant_audit(grant=grant, actor=actor, action=action, from_state=previous, reason=reason)
        suspended.append(grant)
    return suspended


@transaction.atomic
def grants_suspend_for_organisation(*, organisation, actor, reason: str) -> list[AccessGrant]:
    """Suspend every active grant that came through `organisation` (ACCESS.md: suspension of
    the organisation suspends its people's grants). Each suspension is audited. Suspended
    grants stay suspended when the organisation is reinstated: the committee decides."""
    live = AccessGrant.objects.filter(organisation=organisation, status=GrantStatus.ACTIVE)
    return _suspend_each(
        live, actor=actor, reason=reason, action="grant.suspend.organisation_suspended"
    )


@transaction.atomic
def grants_suspend_for_affiliation(*, affiliation, actor, reason: str) -> list[AccessGrant]:
    """Suspend the active grants a person holds through this affiliation's organisation (they
    left it, or the affiliation was ended). Grants through their other organisations stay."""
    live = AccessGrant.objects.filter(
        user_id=affiliation.user_id,
        organisation_id=affiliation.organisation_id,
        status=GrantStatus.ACTIVE,
    )
    return _suspend_each(live, actor=actor, reason=reason, action="grant.suspend.left_organisation")


# --- Creation (only through an approved request) ---------------------------------------------
def _end_of_day(day: datetime.date) -> datetime.datetime:
    """A grant "until 26 Nov" works through that whole day, in the portal's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """`moment` plus whole calendar months, clamped to the last day of a shorter month."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def grant_end_candidates(
    *, access_request, terms: dict, approved_at
) -> dict[str, datetime.datetime]:
    """Every limit on the grant's end, by name (ACCESS.md): the earliest wins."""
    days = getattr(settings, "STRATUM_GRANT_DEFAULT_DAYS", 365)
    limits = {"portal default": approved_at + datetime.timedelta(days=days)}
    if access_request.approved_until:
        limits["committee's chosen end"] = _end_of_day(access_request.approved_until)
    if terms.get("TS"):
        limits["TS time limit"] = add_months(approved_at, int(terms["TS"]))
    if access_request.ethics_expires_on:
        limits["ethics approval expiry"] = _end_of_day(access_request.ethics_expires_on)
    project_end = access_request.dataset.project.end_date
    if project_end:
        limits["project end"] = _end_of_day(project_end)
    return limits


def _obligations(terms: dict) -> list[dict]:
    """What the holder accepted or is bound by, shown on the grant."""
    shown = ("PUB", "COL", "RTN", "MOR", "TS", "PS", "GS", "IRB")
    return [{"term": t, "value": terms[t]} for t in shown if t in terms]


def _supersede_live_grants(*, user_id, dataset_id, actor, reason: str) -> None:
    # One live grant per person × dataset: a renewal or fresh approval ends the old one.
    live = (
        AccessGrant.objects.select_for_update()
        .filter(
            user_id=user_id,
            dataset_id=dataset_id,
            status__in=[GrantStatus.ACTIVE, GrantStatus.SUSPENDED],
        )
        .select_related("dataset")
    )
    for grant in live:
        previous = _set_status(grant=grant, status=GrantStatus.EXPIRED, actor=actor, reason=reason)
        _grant_audit(
            grant=grant, actor=actor, action="grant.supersede", from_state=previous, reason=reason
        )


def grant_create_for_request(
    *, access_request, actor, approved_at, terms: dict, request=None
) -> AccessGrant:
    """The grant an approval creates, or, for an approved renewal of a grant that is still
    active, that same grant extended (#18). Called inside the approving transaction only."""
    limits = grant_end_candidates(
        access_request=access_request, terms=terms, approved_at=approved_at
    )
    limit_name, valid_until = min(limits.items(), key=lambda item: item[1])
    if valid_until <= approved_at:
        raise ValidationError(f"The grant would end before it starts ({limit_name} has passed).")
    renewed = _renewable_grant(access_request, approved_at)
    if renewed is not None:
        return _extend(
            renewed,
            access_request=access_request,
            actor=actor,
            valid_until=valid_until,
            limit_name=limit_name,
            terms=terms,
            request=request,
        )
    _supersede_live_grants(
        user_id=access_request.requester_id,
        dataset_id=access_request.dataset_id,
        actor=actor,
        reason="Superseded by a new grant",
    )
    grant = AccessGrant(
        dataset=access_request.dataset,
        user=access_request.requester,
        organisation=access_request.organisation,
        request=access_request,
        policy=access_request.policy,
        status=GrantStatus.ACTIVE,
        valid_from=approved_at,
        valid_until=valid_until,
        obligations=_obligations(terms),
        status_changed_at=approved_at,
        agreement_acceptance=latest_acceptance(access_request),
    )
    grant.full_clean()
    grant.save()
    audit_record(
        actor=actor,
        action="grant.create",
        target=grant,
        request=request,
        organisation_id=grant.organisation_id,
        project_id=access_request.dataset.project_id,
        to_state=grant.status,
        details={
            "user": str(grant.user_id),
            "dataset": str(grant.dataset_id),
            "request": str(access_request.pk),
            "policy_version": access_request.policy.version if access_request.policy else None,
            "agreement_version": (
                grant.agreement_acceptance.agreement.version if grant.agreement_acceptance else None
            ),
            "valid_until": valid_until.isoformat(),
            "limited_by": limit_name,
            "snapshot_hash": access_request.snapshot_hash,
        },
    )
    return grant


def _renewable_grant(access_request, now) -> AccessGrant | None:
    """The grant this request renews, locked, when it is still active and unexpired: only then
    is it extended in place. A lapsed, suspended or revoked grant gets a new grant instead."""
    if access_request.renews_grant_id is None:
        return None
    return (
        AccessGrant.objects.select_for_update()
        .select_related("dataset")
        .filter(
            pk=access_request.renews_grant_id,
            user_id=access_request.requester_id,
            dataset_id=access_request.dataset_id,
            status=GrantStatus.ACTIVE,
            valid_until__gt=now,
        )
        .first()
    )


def _extend(grant, *, access_request, actor, valid_until, limit_name, terms, request=None):
    """Renewal keeps the grant's identity (its id, its start, the holder's access without a
    gap) and takes the renewal's end, policy, obligations and accepted agreement. The expiry
    notices are re-armed for the new end."""
    previous_end = grant.valid_until
    grant.valid_until = valid_until
    grant.policy = access_request.policy
    grant.obligations = _obligations(terms)
    grant.agreement_acceptance = latest_acceptance(access_request) or grant.agreement_acceptance
    grant.notice_30_sent_at = grant.notice_7_sent_at = None
    grant.full_clean()
    grant.save()
    audit_record(
        actor=actor,
        action="grant.renew",
        target=grant,
        request=request,
        organisation_id=grant.organisation_id,
        project_id=grant.dataset.project_id,
        from_state=GrantStatus.ACTIVE,
        to_state=grant.status,
        details={
            "user": str(grant.user_id),
            "dataset": str(grant.dataset_id),
            "renewal_request": str(access_request.pk),
            "previous_valid_until": previous_end.isoformat(),
            "valid_until": valid_until.isoformat(),
            "limited_by": limit_name,
            "policy_version": grant.policy.version if grant.policy else None,
            "agreement_version": (
                grant.agreement_acceptance.agreement.version if grant.agreement_acceptance else None
            ),
        },
    )
    return grant


# --- Revoke, suspend, reinstate ----------------------------------------------------------------
def _lock(grant: AccessGrant) -> AccessGrant:
    return (
        AccessGrant.objects.select_for_update().select_related("dataset", "user").get(pk=grant.pk)
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason."})
    return reason


@transaction.atomic
def grant_revoke(*, grant: AccessGrant, actor, reason: str, request=None) -> AccessGrant:
    """Immediate: the next download is refused. Active or suspended grants only."""
    reason = _require_reason(reason)
    locked = _lock(grant)
    if locked.status not in (GrantStatus.ACTIVE, GrantStatus.SUSPENDED):
        raise TransitionError(f"This grant is already {locked.get_status_display().lower()}.")
    previous = _set_status(grant=locked, status=GrantStatus.REVOKED, actor=actor, reason=reason)
    _grant_audit(
        grant=locked,
        actor=actor,
        action="grant.revoke",
        from_state=previous,
        reason=reason,
        request=request,
    )
    notification_emit(
        event_type=EventType.GRANT_REVOKED,
        recipients=[locked.user],
        subject=f"Your access to {locked.dataset.title} was revoked",
        body=f"Reason: {reason}",
        url=reverse("access:grant_detail", kwargs={"pk": locked.pk}),
        target=locked,
        project=locked.dataset.project,
    )
    return locked


@transaction.atomic
def grant_suspend(*, grant: AccessGrant, actor, reason: str, request=None) -> AccessGrant:
    reason = _require_reason(reason)
    locked = _lock(grant)
    if locked.status != GrantStatus.ACTIVE:
        raise TransitionError("Only an active grant can be suspended.")
    previous = _set_status(grant=locked, status=GrantStatus.SUSPENDED, actor=actor, reason=reason)
    _grant_audit(
        grant=locked,
        actor=actor,
        action="grant.suspend",
        from_state=previous,
        reason=reason,
        request=request,
    )
    return locked


@transaction.atomic
def grant_reinstate(*, grant: AccessGrant, actor, reason: str = "", request=None) -> AccessGrant:
    """Suspended → active, unless its end has passed (then it is marked expired instead) or
    the holder no longer belongs to the organisation it came through."""
    locked = _lock(grant)
    if locked.status != GrantStatus.SUSPENDED:
        raise TransitionError("Only a suspended grant can be reinstated.")
    if locked.valid_until <= timezone.now():
        raise TransitionError("This grant has passed its end date; the holder must request again.")
    still_member = (
        Affiliation.objects.active()
        .filter(user_id=locked.user_id, organisation_id=locked.organisation_id)
        .exists()
    )
    if not still_member:
        raise TransitionError(
            "The holder no longer belongs to the organisation the grant came through."
        )
    previous = _set_status(grant=locked, status=GrantStatus.ACTIVE, actor=actor, reason=reason)
    _grant_audit(
        grant=locked,
        actor=actor,
        action="grant.reinstate",
        from_state=previous,
        reason=reason,
        request=request,
    )
    return locked


# --- The beat sweeps (idempotent: each grant is claimed by a conditional update) ----------------
def grants_mark_expired(*, now: datetime.datetime | None = None) -> int:
    """Mark active grants past their end as expired, one transaction each, and tell the holder.
    Access already stopped at `valid_until` (the check compares the clock); this records it."""
    now = now or timezone.now()
    due = AccessGrant.objects.filter(status=GrantStatus.ACTIVE, valid_until__lte=now)
    count = 0
    for grant_id in due.values_list("id", flat=True):
        count += _expire_one(grant_id, now=now)
    return count


@transaction.atomic
def _expire_one(grant_id, *, now) -> int:
    claimed = AccessGrant.objects.filter(
        pk=grant_id, status=GrantStatus.ACTIVE, valid_until__lte=now
    ).update(
        status=GrantStatus.EXPIRED,
        status_changed_at=now,
        status_reason="Reached its end date",
        updated_at=now,
    )
    if claimed != 1:
        return 0  # another sweep got there first
    grant = AccessGrant.objects.select_related("dataset", "dataset__project", "user").get(
        pk=grant_id
    )
    _grant_audit(
        grant=grant,
        actor=None,
        action="grant.expire",
        from_state=GrantStatus.ACTIVE,
        reason="Reached its end date",
        actor_role="system",
    )
    notification_emit(
        event_type=EventType.GRANT_EXPIRED,
        recipients=[grant.user],
        subject=f"Your access to {grant.dataset.title} has ended",
        body="The grant reached its end date. You can request access again.",
        url=reverse("access:grant_detail", kwargs={"pk": grant.pk}),
        target=grant,
        project=grant.dataset.project,
    )
    return 1


NOTICE_FIELDS = {30: "notice_30_sent_at", 7: "notice_7_sent_at"}


def grants_send_expiry_notices(*, now: datetime.datetime | None = None) -> int:
    """Send the 30- and 7-day notices once each. A grant found inside 7 days that never had its
    30-day notice gets only the 7-day one (both fields are claimed)."""
    now = now or timezone.now()
    sent = 0
    for days in (7, 30):
        field = NOTICE_FIELDS[days]
        due = AccessGrant.objects.filter(
            status=GrantStatus.ACTIVE,
            valid_until__gt=now,
            valid_until__lte=now + datetime.timedelta(days=days),
            **{f"{field}__isnull": True},
        )
        for grant_id in due.values_list("id", flat=True):
            sent += _notice_one(grant_id, days=days, now=now)
    return sent


@transaction.atomic
def _notice_one(grant_id, *, days: int, now) -> int:
    field = NOTICE_FIELDS[days]
    rows = AccessGrant.objects.filter(
        pk=grant_id, status=GrantStatus.ACTIVE, **{f"{field}__isnull": True}
    )
    if rows.update(**{field: now}, updated_at=now) != 1:
        return 0  # already sent by another run
    if days == 7:
        # Inside 7 days the 30-day notice is moot; claim it so it is never sent late.
        AccessGrant.objects.filter(pk=grant_id, notice_30_sent_at__isnull=True).update(
            notice_30_sent_at=now
        )
    grant = AccessGrant.objects.select_related("dataset", "dataset__project", "user").get(
        pk=grant_id
    )
    audit_record(
        actor=None,
        action=f"grant.notice.{days}_days",
        target=grant,
        actor_role="system",
        organisation_id=grant.organisation_id,
        project_id=grant.dataset.project_id,
        details={"valid_until": grant.valid_until.isoformat()},
    )
    notification_emit(
        event_type=EventType.GRANT_EXPIRING,
        recipients=[grant.user],
        subject=f"Your access to {grant.dataset.title} ends on {date_format(timezone.localtime(grant.valid_until), 'j M Y')}",
        body="To keep access without a gap, ask for a renewal before it ends.",
        url=reverse("access:grant_renew", kwargs={"pk": grant.pk}),
        target=grant,
        project=grant.dataset.project,
    )
    return 1


@transaction.atomic
def grants_suspend_for_npu_breach(*, organisation, actor, reason: str = "") -> list[AccessGrant]:
    """After an organisation becomes for-profit (its kind changed), suspend the active grants
    that came through it under a policy with NPU or NPUNCU: the condition no longer holds."""
    if not organisation.is_for_profit:
        return []
    live = AccessGrant.objects.filter(
        organisation=organisation,
        status=GrantStatus.ACTIVE,
        policy__conditions__term__shorthand__in=["NPU", "NPUNCU"],
    ).distinct()
    return _suspend_each(
        AccessGrant.objects.filter(pk__in=live.values("pk")),
        actor=actor,
        reason=reason
        or "The organisation is now for-profit; the dataset allows not-for-profit use only.",
        action="grant.suspend.npu_breach",
    )
