"""The access world on top of the root personas: a pharma-led consortium (lead_org) with a
university partner (partner_org) and an NHS partner (nhs_org), a committee with a member from
each of the partner organisations, and a controlled dataset with a data-use policy."""

import csv
import importlib
from pathlib import Path

import pytest
from django.conf import settings

from apps.access.services import data_use_policy_set
from apps.datasets.models import DuoTerm
from apps.organisations.models import OrganisationKind
from apps.projects.models import PartnerRole
from tests.access.committee_world import charity_org, submitted, voting_committee  # noqa: F401
from tests.access.factories import (
    CommitteeFactory,
    CommitteeMemberFactory,
    ControlledDatasetFactory,
)
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFileFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import DiseaseAreaFactory, PartnerFactory

PLAIN_SUMMARIES = importlib.import_module(
    "apps.datasets.migrations.0005_plain_duo_term_summaries"
).PLAIN
# The repository copy of shared/data/duo-terms.csv that the datasets data migration loads.
DUO_CSV = Path(settings.BASE_DIR) / "apps" / "datasets" / "data" / "duo-terms.csv"


def _duo_rows() -> list[dict]:
    with DUO_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.fixture(autouse=True)
def duo_terms(db):
    """The 23 DUO terms, from the same CSV the data migration reads (a transactional test
    flushes what migrations loaded, so this puts them back)."""
    for row in _duo_rows():
        DuoTerm.objects.get_or_create(
            id=row["id"],
            defaults={
                "shorthand": row["shorthand"],
                "label": row["label"],
                "kind": row["kind"],
                "parent_id_code": row["parent_id"],
                "requires_value": row["requires_value"] or "none",
                "summary": row["summary"],
            },
        )
    # …and the plain summaries a later migration gives five of them.
    for shorthand, summary in PLAIN_SUMMARIES.items():
        DuoTerm.objects.filter(shorthand=shorthand).update(summary=summary)


@pytest.fixture
def nhs_org(db, project):
    org = OrganisationFactory(name="Northern NHS Trust", kind=OrganisationKind.NHS)
    PartnerFactory(project=project, organisation=org, role=PartnerRole.PARTNER)
    return org


@pytest.fixture
def committee(db, project):
    return CommitteeFactory(project=project)


@pytest.fixture
def dac_member(db, committee, nhs_org):
    """A committee member from a third organisation: never conflicted with the university."""
    user = UserFactory(email="reviewer@nhs.test", first_name="Dana", last_name="Reviewer")
    AffiliationFactory(user=user, organisation=nhs_org)
    CommitteeMemberFactory(committee=committee, user=user, organisation=nhs_org, is_chair=True)
    return user


@pytest.fixture
def conflicted_member(db, committee, partner_org):
    """A committee member from the requester's own university."""
    user = UserFactory(email="dac@example.ac.uk", first_name="Connie", last_name="Flict")
    AffiliationFactory(user=user, organisation=partner_org)
    CommitteeMemberFactory(committee=committee, user=user, organisation=partner_org)
    return user


@pytest.fixture
def respiratory(db):
    return DiseaseAreaFactory(name="Respiratory inflammatory disease", icd10_codes=["J44-J45"])


@pytest.fixture
def asthma(db, respiratory):
    return DiseaseAreaFactory(name="Asthma", icd10_codes=["J45"], parent=respiratory)


@pytest.fixture
def cancer(db):
    return DiseaseAreaFactory(name="Cancer", icd10_codes=["C00-D48"])


@pytest.fixture
def controlled_dataset(db, project, lead_org, coordinator, respiratory):
    """A pharma-stewarded controlled dataset: DS(respiratory) + NCU + PUB, with one file."""
    dataset = ControlledDatasetFactory(
        project=project, steward_organisation=lead_org, title="Sputum transcriptomics"
    )
    data_use_policy_set(
        dataset=dataset,
        permission="DS",
        permission_value=[respiratory.pk],
        modifiers={"NCU": None, "PUB": None},
        actor=coordinator,
    )
    DatasetFileFactory(dataset=dataset, file_name="sputum.csv")
    return dataset


@pytest.fixture
def request_data(asthma):
    """A valid declaration for `controlled_dataset`."""
    return {
        "purpose": "Validate an eosinophil signature in asthma.",
        "diseases": [asthma],
        "attestations": ["PUB"],
    }
