"""The generated policy matrix (issue 5, acceptance 1): one table of role × tier × action →
expected drives every cell. The world: a members-only, pharma-led consortium (RESPIRE) with a
university and an NHS partner, one published dataset with one file per tier, a committee, an
in-review request on each dataset, a grant on the controlled one."""

import pytest
from django.urls import reverse

from apps.access.models import RequestStatus
from apps.access.policy import Action, can, visible
from apps.core.kinds import shared_kinds
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile
from apps.organisations.models import OrganisationStatus
from apps.projects.models import PartnerRole, SummaryVisibility
from tests.access.factories import AccessGrantFactory, AccessRequestFactory
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.kinds import BUILDERS
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import PartnerFactory

ROLES = "anonymous unaffiliated outsider partner coordinator dac holder suspended staff".split()

# Y = allowed, . = refused. Columns follow ROLES.
MATRIX = """
tier           action    anonymous unaffiliated outsider partner coordinator dac holder suspended staff
public         view      Y         Y            Y        Y       Y           Y   Y      Y         Y
public         download  .         Y            Y        Y       Y           Y   Y      Y         Y
public         edit      .         .            .        Y       Y           .   .      .         .
public         decide    .         .            .        .       .           .   .      .         .
registered     view      .         .            Y        Y       Y           Y   Y      .         Y
registered     download  .         .            Y        Y       Y           Y   Y      .         .
registered     edit      .         .            .        Y       Y           .   .      .         .
registered     decide    .         .            .        .       .           .   .      .         .
consortium     view      .         .            .        Y       Y           Y   Y      .         Y
consortium     download  .         .            .        Y       Y           Y   Y      .         .
consortium     edit      .         .            .        Y       Y           .   .      .         .
consortium     decide    .         .            .        .       .           .   .      .         .
organisations  view      .         .            .        Y       Y           Y   Y      .         Y
organisations  download  .         .            .        Y       .           .   Y      .         .
organisations  edit      .         .            .        Y       Y           .   .      .         .
organisations  decide    .         .            .        .       .           .   .      .         .
controlled     view      .         .            .        Y       Y           Y   Y      .         Y
controlled     download  .         .            .        .       .           .   Y      .         .
controlled     edit      .         .            .        Y       Y           .   .      .         .
controlled     decide    .         .            .        .       .           Y   .      .         .
"""


def _rows() -> dict[tuple[str, str], dict[str, bool]]:
    """{(tier, action): {role: expected}} parsed from MATRIX."""
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, body = lines[0], lines[1:]
    assert header[2:] == ROLES, "the table's columns must be the roles, in order"
    rows = {}
    for tier, action, *marks in body:
        assert len(marks) == len(ROLES), f"row {tier} {action} has {len(marks)} cells"
        rows[(tier, action)] = {role: mark == "Y" for role, mark in zip(ROLES, marks, strict=True)}
    return rows


ROWS = _rows()


@pytest.fixture
def world(
    project,
    lead_org,
    partner_org,
    coordinator,
    partner_member,
    partner_org_colleague,
    outsider,
    unaffiliated,
    staff,
    anonymous,
    committee,
    dac_member,
):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save()
    datasets = {}
    for tier in AccessTier.values:
        named = [partner_org] if tier == AccessTier.ORGANISATIONS else None
        dataset = DatasetFactory(
            project=project, access_tier=tier, title=f"{tier} data", allowed_organisations=named
        )
        DatasetFileFactory(dataset=dataset)
        requester = UserFactory()
        AffiliationFactory(user=requester, organisation=partner_org)
        AccessRequestFactory(
            dataset=dataset,
            requester=requester,
            organisation=partner_org,
            status=RequestStatus.IN_REVIEW,
        )
        datasets[tier] = dataset
    controlled = datasets[AccessTier.CONTROLLED]
    AccessGrantFactory(
        request__dataset=controlled,
        request__requester=partner_org_colleague,
        request__organisation=partner_org,
    )
    suspended_org = OrganisationFactory(name="Suspended Ltd", status=OrganisationStatus.SUSPENDED)
    PartnerFactory(project=project, organisation=suspended_org, role=PartnerRole.PARTNER)
    suspended = UserFactory()
    AffiliationFactory(user=suspended, organisation=suspended_org)
    AccessGrantFactory(
        request__dataset=controlled,
        request__requester=suspended,
        request__organisation=suspended_org,
    )
    users = {
        "anonymous": anonymous,
        "unaffiliated": unaffiliated,
        "outsider": outsider,
        "partner": partner_member,
        "coordinator": coordinator,
        "dac": dac_member,
        "holder": partner_org_colleague,
        "suspended": suspended,
        "staff": staff,
    }
    return users, datasets


def allowed(user, action: str, dataset: Dataset) -> bool:
    if action == "view":
        return can(user, Action.VIEW, dataset)
    if action == "download":
        return can(user, Action.DOWNLOAD, dataset.files.get())
    if action == "edit":
        return can(user, Action.EDIT, dataset)
    in_review = dataset.access_requests.get(status=RequestStatus.IN_REVIEW)
    return can(user, Action.DECIDE, in_review)


# One test per row of the table (building the world once per row); each checks every role and
# reports the whole row, so a failure shows exactly which cells disagree.
@pytest.mark.parametrize(("tier", "action"), list(ROWS), ids=[f"{t}-{a}" for t, a in ROWS])
def test_policy_matrix(world, tier, action):
    users, datasets = world
    actual = {role: allowed(users[role], action, datasets[tier]) for role in ROLES}
    assert actual == ROWS[(tier, action)]


@pytest.mark.parametrize("role", ROLES)
def test_lists_agree_with_the_matrix(world, role):
    """`visible()` over all datasets and files returns exactly the tiers marked Y."""
    users, _datasets = world
    user = users[role]
    seen = set(visible(user, Dataset.objects.all()).values_list("access_tier", flat=True))
    downloadable = set(
        visible(user, DatasetFile.objects.all(), Action.DOWNLOAD).values_list(
            "dataset__access_tier", flat=True
        )
    )
    assert seen == {tier for (tier, action), row in ROWS.items() if action == "view" and row[role]}
    assert downloadable == {
        tier for (tier, action), row in ROWS.items() if action == "download" and row[role]
    }


# --- Acceptance 1 with the same fixtures, through the datasets engineer's pages -----------------
def test_a_non_partner_member_finds_a_consortium_dataset_in_no_list_and_gets_404(client, world):
    users, datasets = world
    dataset = datasets[AccessTier.CONSORTIUM]
    client.force_login(users["outsider"])
    listing = client.get(reverse("datasets:list"))
    assert dataset.title not in listing.content.decode()
    assert client.get(reverse("datasets:detail", kwargs={"pk": dataset.pk})).status_code == 404
    download = reverse(
        "datasets:file_download", kwargs={"pk": dataset.pk, "file_pk": dataset.files.get().pk}
    )
    assert client.get(download).status_code == 404


def test_a_partner_member_without_a_grant_gets_404_for_a_controlled_download(client, world):
    users, datasets = world
    dataset = datasets[AccessTier.CONTROLLED]
    client.force_login(users["partner"])
    assert client.get(reverse("datasets:detail", kwargs={"pk": dataset.pk})).status_code == 200
    download = reverse(
        "datasets:file_download", kwargs={"pk": dataset.pk, "file_pk": dataset.files.get().pk}
    )
    assert client.get(download).status_code == 404


def test_the_grant_holder_downloads_the_controlled_file(client, world):
    users, datasets = world
    dataset = datasets[AccessTier.CONTROLLED]
    client.force_login(users["holder"])
    download = reverse(
        "datasets:file_download", kwargs={"pk": dataset.pk, "file_pk": dataset.files.get().pk}
    )
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"sample_id,fev1\nS001,2.31\nS002,1.87\n"


# --- Every shared kind under the same table (issue 22) ----------------------------------------
# The kinds come from the registry (`apps.core.kinds`), so a new kind is held to the table
# without being named here. The controlled tier is the datasets' own (grants), tested above.
SHARED_ROWS = [
    (kind.name, tier, action)
    for kind in shared_kinds()
    for tier in kind.tiers
    if tier != AccessTier.CONTROLLED
    for action in ("view", "download", "edit")
]


@pytest.mark.parametrize(
    ("kind", "tier", "action"), SHARED_ROWS, ids=["-".join(row) for row in SHARED_ROWS]
)
def test_every_shared_kind_follows_the_tier_table(world, project, partner_org, kind, tier, action):
    users, _datasets = world
    named = [partner_org] if tier == AccessTier.ORGANISATIONS else None
    item, stored = BUILDERS[kind](project, tier, named)
    asked = {"view": (Action.VIEW, item), "download": (Action.DOWNLOAD, stored)}
    action_name, target = asked.get(action, (Action.EDIT, item))
    actual = {role: can(users[role], action_name, target) for role in ROLES}
    assert actual == ROWS[(tier, action)]
