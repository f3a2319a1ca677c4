"""A small portal to search: the public project RESPIRE (root conftest) filed under asthma,
with a biomarker, a companion diagnostic, a deliverable D2.1, a public dataset and protocol;
and a members-only project QUIET whose hidden rows carry the same words, so each probe shows
both that an entitled person finds a row and that nobody else does."""

from dataclasses import dataclass

import pytest

from apps.core.models import AccessTier
from apps.milestones.models import Deliverable
from apps.projects.models import Biomarker, MembershipRole, PartnerRole, SummaryVisibility
from apps.projects.services.projects import disease_area_names_refresh
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory
from tests.documents.factories import ProtocolFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import (
    BiomarkerFactory,
    DiseaseAreaFactory,
    MembershipFactory,
    PartnerFactory,
    ProjectFactory,
)

ROR_ID = "052gg0110"  # University of Oxford's ROR id, well-formed with its checksum


@dataclass
class SearchWorld:
    respire: object
    quiet: object
    asthma: object
    eosinophil: object
    feno: object
    deliverable: object
    dataset: object
    protocol: object
    milestone: object
    ror_org: object
    quiet_dataset: object
    quiet_member: object
    colleague: object


@pytest.fixture
def search_world(db, project, lead_org, partner_org, coordinator) -> SearchWorld:
    # Seeded by a data migration; made again when a transactional test has flushed it.
    asthma = DiseaseAreaFactory(slug="asthma", name="Asthma", icd10_codes=["J45"])
    project.disease_areas.add(asthma)
    disease_area_names_refresh(project)
    eosinophil = BiomarkerFactory(
        project=project,
        name="Blood eosinophil count",
        kind=Biomarker.Kind.CLINICAL,
        stratum="Eosinophilic severe asthma.",
    )
    feno = BiomarkerFactory(
        project=project,
        name="Fractional exhaled nitric oxide (FeNO)",
        kind=Biomarker.Kind.CLINICAL,
        stratum="Type 2 airway inflammation.",
        assay="Handheld FeNO analyser, companion diagnostic",
    )
    deliverable = DeliverableFactory(
        project=project,
        code="D2.1",
        title="Biomarker validation plan",
        dissemination=Deliverable.Dissemination.PUBLIC,
        status=Deliverable.Status.APPROVED,
    )
    dataset = DatasetFactory(
        project=project,
        title="Sputum transcriptomics of severe asthma",
        access_tier=AccessTier.PUBLIC,
    )
    protocol = ProtocolFactory(
        project=project, title="Induced sputum handling", access_tier=AccessTier.PUBLIC
    )
    milestone = MilestoneFactory(project=project, title="Cohort of 400 recruited")
    ror_org = OrganisationFactory(name="Oxbridge Respiratory Institute", ror_id=ROR_ID)

    quiet_lead = OrganisationFactory(name="Quietlead Therapeutics")
    quiet = ProjectFactory(
        title="Quiet airway consortium",
        acronym="QUIET",
        summary="Members-only plans for a zebrafinch eosinophil cohort.",
        summary_visibility=SummaryVisibility.MEMBERS,
    )
    PartnerFactory(project=quiet, organisation=quiet_lead, role=PartnerRole.LEAD)
    quiet_member = UserFactory(
        email="member@quietlead.test", first_name="Quentin", last_name="Quietly"
    )
    AffiliationFactory(user=quiet_member, organisation=quiet_lead)
    MembershipFactory(
        project=quiet, user=quiet_member, organisation=quiet_lead, role=MembershipRole.COORDINATOR
    )
    quiet_dataset = DatasetFactory(
        project=quiet, title="Zebrafinch eosinophil panel", steward_organisation=quiet_lead
    )
    BiomarkerFactory(project=quiet, name="Zebrafinch periostin", stratum="Hidden stratum.")
    colleague = UserFactory(
        email="colleague@pharmacorp.test", first_name="Eleanor", last_name="Brightwater"
    )
    AffiliationFactory(user=colleague, organisation=lead_org)
    MembershipFactory(project=project, user=colleague, organisation=lead_org)
    return SearchWorld(
        respire=project,
        quiet=quiet,
        asthma=asthma,
        eosinophil=eosinophil,
        feno=feno,
        deliverable=deliverable,
        dataset=dataset,
        protocol=protocol,
        milestone=milestone,
        ror_org=ror_org,
        quiet_dataset=quiet_dataset,
        quiet_member=quiet_member,
        colleague=colleague,
    )
