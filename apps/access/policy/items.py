"""Protocols, datasets and their files: the tier table of DESIGN.md §3.

| tier          | metadata                                   | files                          |
| public        | everyone                                   | everyone signed in             |
| registered    | members of an approved organisation        | same                           |
| consortium    | the project's partner organisations        | same                           |
| organisations | consortium                                 | members of named organisations |
| controlled    | consortium (+ catalogue if project public) | holders of an active grant     |

Staff see all metadata but download nothing by virtue of being staff: a portal operator is not
a consortium member and holds no grant.
"""

from django.db.models import Q

from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.projects import insider_q, live_q, public_summary_q
from apps.access.policy.subjects import (
    EDITOR_ROLES,
    active_organisation_ids,
    facts,
    has_active_affiliation_q,
    is_signed_in,
    is_staff,
    member_of_project_q,
)
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile, DatasetStatus
from apps.documents.models import Protocol, ProtocolVersion


def tier_q(tier: str, prefix: str) -> Q:
    return Q(**{f"{prefix}access_tier": tier})


def editor_q(user, prefix: str) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return member_of_project_q(user, f"{prefix}project__", roles=EDITOR_ROLES, lookup="one_of")


def active_grant_dataset_ids(user) -> tuple:
    """Datasets the user holds a grant for right now. The clock is compared when the facts are
    read, and the facts expire at the earliest `valid_until` (or future `valid_from`) they
    hold, so an expired grant stops working even if no sweep has marked it; the grant's
    organisation must still be one the user belongs to and approved, so leaving or suspension
    ends it at once."""
    return facts(user).grant_dataset_ids


def item_metadata_q(user, prefix: str = "") -> Q:
    """Who sees an item's metadata (the item at `prefix`, with a `project` and `access_tier`)."""
    project = f"{prefix}project__"
    public_catalogue = tier_q(AccessTier.PUBLIC, prefix) | (
        tier_q(AccessTier.CONTROLLED, prefix) & public_summary_q(project)
    )
    outside = live_q(project) & public_catalogue
    if not is_signed_in(user):
        return outside
    registered = (
        live_q(project) & tier_q(AccessTier.REGISTERED, prefix) & has_active_affiliation_q(user)
    )
    return outside | registered | insider_q(user, project)


def named_organisation_q(user, item_model, prefix: str) -> Q:
    """The user belongs to one of the item's named organisations (a subquery, not a join,
    so rows are never duplicated)."""
    through = item_model.allowed_organisations.through
    item_fk = f"{item_model._meta.model_name}_id"
    named_items = through.objects.filter(
        organisation_id__one_of=active_organisation_ids(user)
    ).values(item_fk)
    return Q(**{f"{prefix}id__one_of": named_items})


def item_files_q(user, item_model, prefix: str = "") -> Q:
    """The tier's file rule, on top of which metadata visibility is also required."""
    if not is_signed_in(user):
        return NOTHING
    project = f"{prefix}project__"
    named = named_organisation_q(user, item_model, prefix)
    return (
        tier_q(AccessTier.PUBLIC, prefix)
        | (tier_q(AccessTier.REGISTERED, prefix) & has_active_affiliation_q(user))
        | (tier_q(AccessTier.CONSORTIUM, prefix) & insider_q(user, project))
        | (tier_q(AccessTier.ORGANISATIONS, prefix) & insider_q(user, project) & named)
    )


# --- Datasets -----------------------------------------------------------------------------------
def dataset_view_q(user, prefix: str = "") -> Q:
    published = Q(**{f"{prefix}status": DatasetStatus.PUBLISHED})
    if is_staff(user):
        return Q()
    seen = published & item_metadata_q(user, prefix)
    if not is_signed_in(user):
        return seen
    granted = Q(**{f"{prefix}id__one_of": active_grant_dataset_ids(user)})
    return seen | editor_q(user, prefix) | granted


def dataset_download_q(user, prefix: str = "") -> Q:
    if not is_signed_in(user):
        return NOTHING
    non_staff_view = dataset_view_q(_NotStaff(user), prefix)
    return non_staff_view & _files_or_grant_q(user, prefix)


def _files_or_grant_q(user, prefix: str) -> Q:
    """The download rule beyond seeing the dataset: its tier's file rule, or an active grant."""
    controlled = tier_q(AccessTier.CONTROLLED, prefix) & Q(
        **{f"{prefix}id__one_of": active_grant_dataset_ids(user)}
    )
    return item_files_q(user, Dataset, prefix) | controlled


def dataset_download_among_visible_q(user) -> Q:
    """`dataset_download_q` for datasets already narrowed to those `user` may view (a listing
    that filters by the view rule and shows a download column).

    The rule is "the view rule of the user without staff powers, and the files-or-grant
    rule". For a signed-in user who is not staff the first half is the very view rule the
    listing filters by, so on a listed row only the second half decides; writing the view
    rule once instead of twice takes ~30 % off the API's listing statement. Staff see rows
    they may not download and anonymous visitors download nothing: they get the whole rule.
    tests/api/test_download_flag.py checks view rule & this == the download rule."""
    if is_staff(user) or not is_signed_in(user):
        return dataset_download_q(user)
    return _files_or_grant_q(user, "")


@rule(Dataset, Action.VIEW)
def dataset_view(user) -> Q:
    return dataset_view_q(user)


@rule(Dataset, Action.DOWNLOAD)
def dataset_download(user) -> Q:
    return dataset_download_q(user)


@rule(Dataset, Action.CONTRIBUTE, Action.EDIT)
def dataset_edit(user) -> Q:
    return editor_q(user, "")


@rule(DatasetFile, Action.VIEW)
def dataset_file_view(user) -> Q:
    return dataset_view_q(user, "dataset__")


# The reason a reader of visible datasets may read their files without a second filter.
FILES_OF_VISIBLE_DATASETS = (
    "files of datasets the caller may see: a file is visible exactly when its dataset is"
)


@rule(DatasetFile, Action.DOWNLOAD)
def dataset_file_download(user) -> Q:
    return dataset_download_q(user, "dataset__")


@rule(DatasetFile, Action.EDIT)
def dataset_file_edit(user) -> Q:
    return editor_q(user, "dataset__")


# --- Protocols ----------------------------------------------------------------------------------
def protocol_view_q(user, prefix: str = "") -> Q:
    if is_staff(user):
        return Q()
    return item_metadata_q(user, prefix) | editor_q(user, prefix)


def protocol_download_q(user, prefix: str = "") -> Q:
    # Controlled access is granted per dataset; a protocol has no grants, so its controlled
    # tier serves files to nobody (deny by design) and the form does not offer it.
    return protocol_view_q(_NotStaff(user), prefix) & item_files_q(user, Protocol, prefix)


@rule(Protocol, Action.VIEW)
def protocol_view(user) -> Q:
    return protocol_view_q(user)


@rule(Protocol, Action.DOWNLOAD)
def protocol_download(user) -> Q:
    return protocol_download_q(user)


@rule(Protocol, Action.CONTRIBUTE, Action.EDIT)
def protocol_edit(user) -> Q:
    return editor_q(user, "")


def _not_draft_or_editor(user) -> Q:
    return ~Q(status=ProtocolVersion.Status.DRAFT) | editor_q(user, "protocol__")


@rule(ProtocolVersion, Action.VIEW)
def protocol_version_view(user) -> Q:
    return protocol_view_q(user, "protocol__") & _not_draft_or_editor(user)


@rule(ProtocolVersion, Action.DOWNLOAD)
def protocol_version_download(user) -> Q:
    return protocol_download_q(user, "protocol__") & _not_draft_or_editor(user)


@rule(ProtocolVersion, Action.EDIT)
def protocol_version_edit(user) -> Q:
    return editor_q(user, "protocol__") & Q(status=ProtocolVersion.Status.DRAFT)


class _NotStaff:
    """The same person without staff powers: downloads never follow from being staff."""

    def __init__(self, user):
        self._user = user

    def __getattr__(self, name):
        return getattr(self._user, name)

    is_staff = False
    is_superuser = False
