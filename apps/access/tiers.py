"""Tier validation for every kind shared under an access tier (datasets, protocols, analyses):
written once, with each kind's tiers read from its declaration (`apps.core.kinds`), so the
kinds cannot drift apart again. (They had: only protocol writes checked the tier
against the kind's choices, and neither service refused a suspended organisation, which the
forms never offered but the API accepted.)

Who may steward an item or be named on the named-organisations tier: the project's active
partners whose organisation is approved — the same set the forms offer, so a write through
the API cannot name an organisation the page would not show.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.core.kinds import SharedKind
from apps.core.models import AccessTier
from apps.organisations.models import Organisation, OrganisationStatus
from apps.projects.models import PartnerStatus


def tier_choices(kind: SharedKind) -> list[tuple[str, str]]:
    """The tiers an item of `kind` may take, as form choices (in the tiers' own order)."""
    return [(value, label) for value, label in AccessTier.choices if value in kind.tiers]


def project_partner_organisations(project) -> QuerySet:
    """Organisations that may steward or be named: the project's active, approved partners."""
    return (
        Organisation.objects.filter(
            status=OrganisationStatus.APPROVED,
            partnerships__project=project,
            partnerships__status=PartnerStatus.ACTIVE,
        )
        .distinct()
        .order_by("name")
    )


def _tier_names(tiers) -> str:
    names = [str(label).lower() for _, label in tiers]
    return ", ".join(names[:-1]) + " or " + names[-1]


def tier_validate(
    *,
    kind: SharedKind,
    project,
    access_tier: str,
    allowed_organisations,
    steward_organisation=None,
) -> list:
    """The named organisations to store, or ValidationError naming each bad field.

    `kind` says which tiers are allowed and its plural names them in the error; a steward, for
    kinds that have one, must be one of the partners too (a missing one is `full_clean()`'s to
    report). Names only mean something on the named-organisations tier: on any other the list
    comes back empty."""
    errors = {}
    if access_tier not in kind.tiers:
        errors["access_tier"] = f"{kind.plural} can be {_tier_names(tier_choices(kind))}."
    partners = set(project_partner_organisations(project).order_by().values_list("pk", flat=True))
    if steward_organisation is not None and steward_organisation.pk not in partners:
        errors["steward_organisation"] = "The steward must be an active partner of the project."
    named = list(allowed_organisations or [])
    if access_tier == AccessTier.ORGANISATIONS:
        if not named:
            errors["allowed_organisations"] = "Name at least one organisation for this tier."
        elif any(organisation.pk not in partners for organisation in named):
            errors["allowed_organisations"] = "Named organisations must be active partners."
    if errors:
        raise ValidationError(errors)
    return named if access_tier == AccessTier.ORGANISATIONS else []
