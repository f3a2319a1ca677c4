"""Every write to organisations, affiliations, invitations and join requests goes through here."""

from apps.organisations.services.affiliations import (
    affiliation_create,
    affiliation_demote,
    affiliation_end,
    affiliation_from_verified_email,
    affiliation_promote,
    affiliations_for_existing_addresses,
    join_request_approve,
    join_request_create,
    join_request_reject,
    join_request_withdraw,
)
from apps.organisations.services.imports import (
    ImportReport,
    RowError,
    organisations_import,
    organisations_import_parse,
)
from apps.organisations.services.invitations import (
    InvitationError,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_problem,
    invitation_revoke,
)
from apps.organisations.services.organisations import (
    organisation_approve,
    organisation_domain_add,
    organisation_domain_remove,
    organisation_propose,
    organisation_reinstate,
    organisation_reject,
    organisation_suspend,
    organisation_update,
)

__all__ = [
    "ImportReport",
    "InvitationError",
    "RowError",
    "affiliation_create",
    "affiliation_demote",
    "affiliation_end",
    "affiliation_from_verified_email",
    "affiliation_promote",
    "affiliations_for_existing_addresses",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "invitation_problem",
    "invitation_revoke",
    "join_request_approve",
    "join_request_create",
    "join_request_reject",
    "join_request_withdraw",
    "organisation_approve",
    "organisation_domain_add",
    "organisation_domain_remove",
    "organisation_propose",
    "organisation_reinstate",
    "organisation_reject",
    "organisation_suspend",
    "organisation_update",
    "organisations_import",
    "organisations_import_parse",
]
