"""Organisation lifecycle: proposal, staff decisions, profile edits and e-mail domains."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apps.audit.services import audit_record
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Organisation,
    OrganisationDomain,
    OrganisationStatus,
)
from apps.organisations.services import consequences
from apps.organisations.validators import normalise_domain, normalise_ror

# Path segments under /organisations/ that an organisation's slug must never shadow.
RESERVED_SLUGS = frozenset({"staff", "propose", "mine", "invitations", "import", "new"})
# Proposals wait for a person to read them: a few at a time is plenty for anyone.
MAX_PENDING_PROPOSALS = 3
PROFILE_FIELDS = (
    "name",
    "kind",
    "country",
    "website",
    "description",
    "ror_id",
    "ods_code",
    "logo",
    "dspt_status",
    "dspt_date",
)


def organisation_slug_for(name: str, taken: set[str] | None = None) -> str:
    """A new, unique slug. Slugs never change afterwards, so links keep working after renames."""
    base = slugify(name)[:70] or "organisation"
    candidate, number = base, 2
    while candidate in RESERVED_SLUGS or _slug_taken(candidate, taken):
        candidate = f"{base}-{number}"
        number += 1
    if taken is not None:
        taken.add(candidate)
    return candidate


def _slug_taken(slug: str, taken: set[str] | None) -> bool:
    if taken is not None:
        return slug in taken
    return Organisation.objects.filter(slug=slug).exists()


def _clean_identifiers(organisation: Organisation) -> None:
    organisation.name = " ".join(organisation.name.split())
    organisation.ror_id = normalise_ror(organisation.ror_id)
    organisation.ods_code = (organisation.ods_code or "").strip().upper()


def _active_staff():
    return get_user_model().objects.filter(is_staff=True, is_active=True)


@transaction.atomic
def organisation_propose(
    *,
    proposer,
    name: str,
    kind: str,
    country: str,
    website: str = "",
    description: str = "",
    ror_id: str = "",
    ods_code: str = "",
    domains: Iterable[str] = (),
    request=None,
) -> Organisation:
    """Create a pending organisation with the proposer as its first admin; tell portal staff.

    The admin affiliation carries no rights until staff approve (`Affiliation.objects.active()`
    only counts approved organisations); domains affiliate nobody until then either.
    """
    _refuse_too_many_pending(proposer)
    organisation = Organisation(
        name=name,
        kind=kind,
        country=country,
        website=website,
        description=description,
        ror_id=ror_id,
        ods_code=ods_code,
        status=OrganisationStatus.PENDING,
        status_changed_at=timezone.now(),
        proposed_by=proposer,
    )
    _clean_identifiers(organisation)
    organisation.slug = organisation_slug_for(organisation.name)
    organisation.full_clean()
    organisation.save()
    for domain in domains:
        _domain_create(organisation=organisation, domain=domain)
    affiliation = Affiliation(user=proposer, organisation=organisation, role=AffiliationRole.ADMIN)
    affiliation.full_clean()
    affiliation.save()
    audit_record(
        actor=proposer,
        action="organisation.propose",
        target=organisation,
        request=request,
        organisation_id=organisation.pk,
        to_state=organisation.status,
        details={"domains": [d.domain for d in organisation.domains.all()]},
    )
    # Hook point for staff alerts: the notifications app turns these into e-mails and digests.
    notification_emit(
        event_type=EventType.ORGANISATION_PENDING,
        recipients=_active_staff(),
        subject=f"{organisation.name} awaits approval",
        body=f"{proposer.display_name} proposed {organisation.name} "
        f"({organisation.get_kind_display()}, {organisation.country.name}).",
        url=reverse("organisations:staff_console"),
        target=organisation,
    )
    return organisation


def _refuse_too_many_pending(proposer) -> None:
    pending = Organisation.objects.pending().filter(proposed_by=proposer).count()
    if pending >= MAX_PENDING_PROPOSALS:
        raise ValidationError(
            f"You already have {pending} proposals awaiting approval; portal staff will look "
            "at them before you propose more."
        )


def _lock(organisation: Organisation) -> Organisation:
    """Re-read the row under a lock so two staff decisions cannot both apply."""
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _transition(
    *,
    organisation: Organisation,
    actor,
    allowed_from: tuple[str, ...],
    to: str,
    action: str,
    reason: str = "",
    reason_required: bool = False,
    request=None,
) -> Organisation:
    reason = (reason or "").strip()
    if reason_required and not reason:
        raise ValidationError({"reason": "Give a reason; it is recorded and shown to the admins."})
    locked = _lock(organisation)
    if locked.status not in allowed_from:
        raise ValidationError(
            f"{locked.name} is {locked.get_status_display().lower()}; it cannot be changed that way."
        )
    from_state = locked.status
    locked.status = to
    locked.status_reason = reason
    locked.status_changed_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        target=locked,
        request=request,
        actor_role="staff",
        organisation_id=locked.pk,
        from_state=from_state,
        to_state=to,
        reason=reason,
    )
    organisation.refresh_from_db()
    return locked


@transaction.atomic
def organisation_approve(*, organisation: Organisation, actor, request=None) -> Organisation:
    """Pending → approved; people who already verified an address at its domains join it."""
    approved = _transition(
        organisation=organisation,
        actor=actor,
        allowed_from=(OrganisationStatus.PENDING,),
        to=OrganisationStatus.APPROVED,
        action="organisation.approve",
        request=request,
    )
    from apps.organisations.services.affiliations import affiliations_for_existing_addresses

    affiliations_for_existing_addresses(
        organisation=approved, domains=[d.domain for d in approved.domains.all()]
    )
    return approved


@transaction.atomic
def organisation_reject(
    *, organisation: Organisation, actor, reason: str, request=None
) -> Organisation:
    return _transition(
        organisation=organisation,
        actor=actor,
        allowed_from=(OrganisationStatus.PENDING,),
        to=OrganisationStatus.REJECTED,
        action="organisation.reject",
        reason=reason,
        reason_required=True,
        request=request,
    )


@transaction.atomic
def organisation_suspend(
    *, organisation: Organisation, actor, reason: str, request=None
) -> Organisation:
    """Approved → suspended. Rights that came through the organisation stop at once.

    Affiliation-based rights vanish because `Affiliation.objects.active()` only counts approved
    organisations; access grants are suspended explicitly, in this same transaction.
    """
    suspended = _transition(
        organisation=organisation,
        actor=actor,
        allowed_from=(OrganisationStatus.APPROVED,),
        to=OrganisationStatus.SUSPENDED,
        action="organisation.suspend",
        reason=reason,
        reason_required=True,
        request=request,
    )
    # The access app registers the grant suspension: it builds on organisations, not the
    # other way round.
    consequences.run(
        consequences.ORGANISATION_SUSPENDED,
        organisation=suspended,
        actor=actor,
        reason=f"Organisation suspended: {suspended.status_reason}",
    )
    return suspended


@transaction.atomic
def organisation_reinstate(
    *, organisation: Organisation, actor, reason: str = "", request=None
) -> Organisation:
    """Suspended → approved. Suspended access grants stay suspended: the committee decides."""
    return _transition(
        organisation=organisation,
        actor=actor,
        allowed_from=(OrganisationStatus.SUSPENDED,),
        to=OrganisationStatus.APPROVED,
        action="organisation.reinstate",
        reason=reason,
        request=request,
    )


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor, data: dict, request=None
) -> Organisation:
    """Edit the profile. The slug is kept so that links survive renames."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    # Read the stored values: a ModelForm has already copied its input onto `organisation`.
    stored = Organisation.objects.get(pk=organisation.pk)
    before = {field: _plain(getattr(stored, field)) for field in data}
    for field, value in data.items():
        # save_form_data, not setattr: a cleared logo arrives as False and must become "".
        Organisation._meta.get_field(field).save_form_data(organisation, value)
    _clean_identifiers(organisation)
    organisation.full_clean()
    organisation.save()
    suspend_grants_if_now_for_profit(organisation, was_for_profit=stored.is_for_profit, actor=actor)
    changed = {
        field: {"from": before[field], "to": _plain(getattr(organisation, field))}
        for field in data
        if before[field] != _plain(getattr(organisation, field))
    }
    if changed:
        audit_record(
            actor=actor,
            action="organisation.update",
            target=organisation,
            request=request,
            organisation_id=organisation.pk,
            details={"changed": changed},
        )
    return organisation


def suspend_grants_if_now_for_profit(organisation: Organisation, *, was_for_profit: bool, actor):
    """ACCESS.md: grants under a not-for-profit-use condition (NPU, NPUNCU) stop holding once the
    organisation they came through becomes for-profit, so they are suspended in the same
    transaction as the change of kind."""
    if was_for_profit or not organisation.is_for_profit:
        return
    consequences.run(
        consequences.ORGANISATION_NOW_FOR_PROFIT, organisation=organisation, actor=actor
    )


def _plain(value) -> str:
    """A JSON-friendly form of a field value for the audit record (file name, country code)."""
    if isinstance(value, FieldFile):
        return value.name or ""
    return "" if value is None else str(value)


def _domain_create(*, organisation: Organisation, domain: str) -> OrganisationDomain:
    row = OrganisationDomain(organisation=organisation, domain=normalise_domain(domain))
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def organisation_domain_add(
    *, organisation: Organisation, actor, domain: str, request=None
) -> OrganisationDomain:
    """Claim an e-mail domain; people already verified at it join an approved organisation."""
    row = _domain_create(organisation=organisation, domain=domain)
    audit_record(
        actor=actor,
        action="organisation.domain_add",
        target=organisation,
        request=request,
        organisation_id=organisation.pk,
        details={"domain": row.domain},
    )
    if organisation.is_approved:
        from apps.organisations.services.affiliations import affiliations_for_existing_addresses

        affiliations_for_existing_addresses(organisation=organisation, domains=[row.domain])
    return row


@transaction.atomic
def organisation_domain_remove(*, domain: OrganisationDomain, actor, request=None) -> None:
    """Stop affiliating new people at this domain; existing affiliations stay."""
    organisation = domain.organisation
    audit_record(
        actor=actor,
        action="organisation.domain_remove",
        target=organisation,
        request=request,
        organisation_id=organisation.pk,
        details={"domain": domain.domain},
    )
    domain.delete()
