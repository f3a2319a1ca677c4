"""People in organisations: affiliation, roles, leaving, join requests, domain matching."""

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    JoinRequest,
    Organisation,
    OrganisationDomain,
    OrganisationStatus,
)
from apps.organisations.services import consequences
from apps.organisations.validators import normalise_domain


def _lock_organisation(organisation: Organisation) -> Organisation:
    """Serialise changes to one organisation's people (last-admin checks race otherwise)."""
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


@transaction.atomic
def affiliation_create(
    *,
    user,
    organisation: Organisation,
    role: str = AffiliationRole.MEMBER,
    actor=None,
    source: str,
    request=None,
) -> Affiliation:
    """Affiliate `user` (idempotent: an existing current affiliation is returned, raised to
    admin if `role` asks for it). `source` says how: domain, invitation, join_request, staff."""
    _lock_organisation(organisation)
    existing = Affiliation.objects.current().filter(user=user, organisation=organisation).first()
    if existing is not None:
        if role == AffiliationRole.ADMIN and not existing.is_admin:
            return _set_role(existing, AffiliationRole.ADMIN, actor=actor, request=request)
        return existing
    affiliation = Affiliation(user=user, organisation=organisation, role=role)
    affiliation.full_clean()
    affiliation.save()
    audit_record(
        actor=actor or user,
        action="affiliation.create",
        target=affiliation,
        request=request,
        organisation_id=organisation.pk,
        to_state=role,
        details={"source": source, "user": str(user.pk)},
    )
    return affiliation


def _other_admins_exist(affiliation: Affiliation) -> bool:
    return (
        Affiliation.objects.current()
        .admins()
        .filter(organisation_id=affiliation.organisation_id)
        .exclude(pk=affiliation.pk)
        .exists()
    )


def _refuse_if_last_admin(affiliation: Affiliation, what: str) -> None:
    if affiliation.is_admin and not _other_admins_exist(affiliation):
        raise ValidationError(
            f"{affiliation.user.display_name} is the only admin of "
            f"{affiliation.organisation.name}; promote another member before you {what}."
        )


def _set_role(affiliation: Affiliation, role: str, *, actor, request=None) -> Affiliation:
    from_role = affiliation.role
    affiliation.role = role
    affiliation.full_clean()
    affiliation.save(update_fields=["role", "updated_at"])
    audit_record(
        actor=actor,
        action="affiliation.role_change",
        target=affiliation,
        request=request,
        organisation_id=affiliation.organisation_id,
        from_state=from_role,
        to_state=role,
        details={"user": str(affiliation.user_id)},
    )
    return affiliation


def _relock(affiliation: Affiliation) -> Affiliation:
    _lock_organisation(affiliation.organisation)
    locked = Affiliation.objects.select_related("user", "organisation").get(pk=affiliation.pk)
    if locked.ended_at is not None:
        raise ValidationError(f"{locked.user.display_name} has already left.")
    return locked


@transaction.atomic
def affiliation_promote(*, affiliation: Affiliation, actor, request=None) -> Affiliation:
    locked = _relock(affiliation)
    if locked.is_admin:
        return locked
    return _set_role(locked, AffiliationRole.ADMIN, actor=actor, request=request)


@transaction.atomic
def affiliation_demote(*, affiliation: Affiliation, actor, request=None) -> Affiliation:
    locked = _relock(affiliation)
    if not locked.is_admin:
        return locked
    _refuse_if_last_admin(locked, "step down")
    return _set_role(locked, AffiliationRole.MEMBER, actor=actor, request=request)


@transaction.atomic
def affiliation_end(
    *, affiliation: Affiliation, actor, reason: str = "", request=None
) -> Affiliation:
    """Remove a person (or let them leave). History is kept: the row is ended, not deleted.

    The person's access grants that came through this organisation are suspended with it.
    """
    locked = _relock(affiliation)
    _refuse_if_last_admin(locked, "remove them" if actor != locked.user else "leave")
    locked.ended_at = timezone.now()
    locked.save(update_fields=["ended_at", "updated_at"])
    audit_record(
        actor=actor,
        action="affiliation.end",
        target=locked,
        request=request,
        organisation_id=locked.organisation_id,
        from_state=locked.role,
        to_state="ended",
        reason=reason,
        details={"user": str(locked.user_id), "left_themselves": actor == locked.user},
    )
    _suspend_grants_of_leaver(locked, actor=actor)
    return locked


def _suspend_grants_of_leaver(affiliation: Affiliation, *, actor) -> None:
    # ACCESS.md: leaving the organisation suspends the person's grants that came through it
    # (the access app registers that consequence; organisations do not know about grants).
    consequences.run(
        consequences.AFFILIATION_ENDED,
        affiliation=affiliation,
        actor=actor,
        reason="Left the organisation",
    )


# --- Automatic affiliation by verified e-mail domain ----------------------------------------


def _candidate_domains(email: str) -> list[str]:
    """example.ac.uk for a@example.ac.uk, and also for a@med.example.ac.uk (departments)."""
    host = normalise_domain(email.rpartition("@")[2])
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


@transaction.atomic
def affiliation_from_verified_email(*, user, email: str, request=None) -> Affiliation | None:
    """Called when a person verifies an address: join the approved organisation owning its
    domain (the most specific domain wins). Does nothing for unknown or shared domains."""
    candidates = _candidate_domains(email)
    matches = {
        row.domain: row.organisation
        for row in OrganisationDomain.objects.filter(
            domain__in=candidates, organisation__status=OrganisationStatus.APPROVED
        ).select_related("organisation")
    }
    for domain in candidates:
        if domain in matches:
            return affiliation_create(
                user=user,
                organisation=matches[domain],
                source="domain",
                request=request,
            )
    return None


def affiliations_for_existing_addresses(*, organisation: Organisation, domains: list[str]) -> int:
    """Affiliate people who verified an address at `domains` before the organisation could
    claim them (it was pending, or the domain was added later). Returns how many joined."""
    if not domains or not organisation.is_approved:
        return 0
    addresses = EmailAddress.objects.filter(verified=True, user__is_active=True).select_related(
        "user"
    )
    joined = 0
    for domain in domains:
        for address in addresses.filter(email__iendswith=f"@{domain}"):
            already = Affiliation.objects.current().filter(
                user=address.user, organisation=organisation
            )
            if not already.exists():
                affiliation_create(user=address.user, organisation=organisation, source="domain")
                joined += 1
    return joined


# --- Requests to join -----------------------------------------------------------------------


@transaction.atomic
def join_request_create(
    *, user, organisation: Organisation, message: str = "", request=None
) -> JoinRequest:
    if not organisation.is_approved:
        raise ValidationError(f"{organisation.name} is not accepting members at the moment.")
    if Affiliation.objects.current().filter(user=user, organisation=organisation).exists():
        raise ValidationError(f"You are already a member of {organisation.name}.")
    if JoinRequest.objects.filter(
        user=user, organisation=organisation, status=JoinRequest.Status.PENDING
    ).exists():
        raise ValidationError(f"Your request to join {organisation.name} is already waiting.")
    join_request = JoinRequest(user=user, organisation=organisation, message=message.strip())
    join_request.full_clean()
    join_request.save()
    audit_record(
        actor=user,
        action="join_request.create",
        target=join_request,
        request=request,
        organisation_id=organisation.pk,
        to_state=join_request.status,
    )
    return join_request


def _decide(join_request: JoinRequest, *, actor, to: str, reason: str, request) -> JoinRequest:
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.status != JoinRequest.Status.PENDING:
        raise ValidationError(f"This request was already {locked.get_status_display().lower()}.")
    locked.status = to
    locked.reason = reason
    locked.decided_by = actor if actor != locked.user else None
    locked.decided_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit_record(
        actor=actor,
        action=f"join_request.{to}",
        target=locked,
        request=request,
        organisation_id=locked.organisation_id,
        from_state=JoinRequest.Status.PENDING,
        to_state=to,
        reason=reason,
    )
    return locked


@transaction.atomic
def join_request_approve(*, join_request: JoinRequest, actor, request=None) -> Affiliation:
    decided = _decide(
        join_request, actor=actor, to=JoinRequest.Status.APPROVED, reason="", request=request
    )
    return affiliation_create(
        user=decided.user,
        organisation=decided.organisation,
        actor=actor,
        source="join_request",
        request=request,
    )


@transaction.atomic
def join_request_reject(
    *, join_request: JoinRequest, actor, reason: str = "", request=None
) -> JoinRequest:
    return _decide(
        join_request,
        actor=actor,
        to=JoinRequest.Status.REJECTED,
        reason=reason.strip(),
        request=request,
    )


@transaction.atomic
def join_request_withdraw(*, join_request: JoinRequest, user, request=None) -> JoinRequest:
    if join_request.user_id != user.pk:
        raise ValidationError("Only the person who asked can withdraw a request.")
    return _decide(
        join_request, actor=user, to=JoinRequest.Status.WITHDRAWN, reason="", request=request
    )
