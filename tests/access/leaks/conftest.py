"""The leak world of issue #15: personas who must learn nothing hidden, canary words placed in
hidden fields, and entitled control personas who do see every canary (so no probe is void).

Reusable by every channel test (catalogue, filters, profiles, deliverables, notifications; the
change feed's tombstones and `updated_since` too):

- `leak_world` — a `LeakWorld`: the members-only project HUSH and the public project RESPIRE,
  their organisations, canary-bearing rows, `personas` (name → user, anonymous included) and
  `insider` / `respire_coordinator` (the controls).
- `PERSONAS` — the six persona names, for `@pytest.mark.parametrize("persona", PERSONAS)`.
- `CANARY_*` — the words; `assert_no_canary(body, *canaries)` and `assert_canary`.
- `as_persona(leak_world, name)` — a test client signed in as that persona (or anonymous).

HUSH (members-only, live) is led by Hushwell Pharma — the lead is on its public card, so anyone
may learn it. Its other partners are hidden from everyone outside: Quietpartner Bio (active),
Invitee Labs (invited) and Lapsed Diagnostics (an active partner whose organisation is
suspended). Its summary, its consortium-tier and draft datasets, and its controlled dataset's
title carry canaries. RESPIRE (public) has an approved public deliverable whose evidence
includes a consortium-tier dataset, a draft dataset and a draft protocol version.

The six personas, each outside what the canaries mark:
- anonymous;
- non_partner: affiliated to an approved organisation that partners nothing;
- partner_without_grant: affiliated to RESPIRE's university partner, no membership, no grant
  (a consortium-level partner of RESPIRE, an outsider of HUSH);
- suspended_member: a HUSH member whose organisation (Lapsed Diagnostics) is now suspended;
- expired_grantee: held a grant on HUSH's controlled dataset, which expired yesterday;
- ended_observer: a regulator's observer in HUSH whose membership ended yesterday.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from apps.core.models import AccessTier
from apps.datasets.models import DatasetStatus
from apps.documents.models import ProtocolVersion
from apps.milestones.models import Deliverable
from apps.organisations.models import AffiliationRole, OrganisationKind, OrganisationStatus
from apps.projects.models import (
    MembershipRole,
    PartnerRole,
    PartnerStatus,
    ProjectStatus,
    SummaryVisibility,
)
from tests.access.factories import AccessGrantFactory
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.milestones.factories import DeliverableFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import MembershipFactory, PartnerFactory, ProjectFactory

PERSONAS = (
    "anonymous",
    "non_partner",
    "partner_without_grant",
    "suspended_member",
    "expired_grantee",
    "ended_observer",
)

# Public card of HUSH: everyone may see these (a positive check that the probe hit HUSH).
HUSH_ACRONYM = "HUSHPRJ"
HUSH_TITLE = "Hushed stratification consortium"
HUSH_LEAD = "Hushwell Pharma"
# Canaries: each word appears only in a field hidden from every persona.
CANARY_SUMMARY = "quokkasummary"  # HUSH's members-only summary
CANARY_DATASET = "quokkaconsortium"  # title of HUSH's consortium-tier dataset
CANARY_CONTROLLED = "quokkacontrolled"  # title of HUSH's controlled dataset (the grant's)
CANARY_DRAFT = "quokkadraft"  # title of HUSH's draft dataset
CANARY_EVIDENCE_DATASET = "wombatconsortium"  # RESPIRE's consortium dataset, on a deliverable
CANARY_EVIDENCE_DRAFT = "wombatdraft"  # RESPIRE's draft dataset, on the same deliverable
CANARY_EVIDENCE_PROTOCOL = "wombatprotocol"  # a protocol whose only version is a draft
HIDDEN_PARTNERS = ("Quietpartner Bio", "Invitee Labs", "Lapsed Diagnostics")


@dataclass
class LeakWorld:
    hush: object
    respire: object
    hush_lead_org: object
    quiet_org: object
    invited_org: object
    lapsed_org: object
    partner_org: object
    hush_dataset: object
    hush_controlled: object
    hush_draft: object
    deliverable: object
    evidence_dataset: object
    evidence_draft: object
    draft_version: object
    insider: object  # HUSH's coordinator: sees every HUSH canary
    respire_coordinator: object  # sees every RESPIRE evidence canary
    personas: dict = field(default_factory=dict)

    @property
    def hidden_partner_orgs(self) -> tuple:
        return (self.quiet_org, self.invited_org, self.lapsed_org)


def assert_no_canary(body: str, *canaries: str) -> None:
    found = [word for word in canaries if word.casefold() in body.casefold()]
    assert not found, f"hidden words reached the response: {found}"


def assert_canary(body: str, *canaries: str) -> None:
    missing = [word for word in canaries if word.casefold() not in body.casefold()]
    assert not missing, f"the control persona should see {missing}: the probe would be void"


def as_persona(world: LeakWorld, name: str) -> Client:
    client = Client()
    user = world.personas[name] if name in world.personas else getattr(world, name)
    if user.is_authenticated:
        client.force_login(user)
    return client


def _person(email: str, organisation, role=AffiliationRole.MEMBER):
    user = UserFactory(email=email)
    AffiliationFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def leak_world(db, project, lead_org, partner_org, coordinator) -> LeakWorld:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    hush = ProjectFactory(
        title=HUSH_TITLE,
        acronym=HUSH_ACRONYM,
        summary=f"Confidential plans: {CANARY_SUMMARY} cohort in three countries.",
        summary_visibility=SummaryVisibility.MEMBERS,
        status=ProjectStatus.ACTIVE,
    )
    hush_lead_org = OrganisationFactory(name=HUSH_LEAD, kind=OrganisationKind.PHARMA)
    quiet_org = OrganisationFactory(name=HIDDEN_PARTNERS[0], kind=OrganisationKind.UNIVERSITY)
    invited_org = OrganisationFactory(name=HIDDEN_PARTNERS[1], kind=OrganisationKind.UNIVERSITY)
    lapsed_org = OrganisationFactory(name=HIDDEN_PARTNERS[2], kind=OrganisationKind.DIAGNOSTICS)
    PartnerFactory(project=hush, organisation=hush_lead_org, role=PartnerRole.LEAD)
    PartnerFactory(project=hush, organisation=quiet_org, role=PartnerRole.PARTNER)
    PartnerFactory(
        project=hush,
        organisation=invited_org,
        role=PartnerRole.PARTNER,
        status=PartnerStatus.INVITED,
    )
    PartnerFactory(project=hush, organisation=lapsed_org, role=PartnerRole.ASSOCIATE)

    insider = _person("coordinator@hushwell.test", hush_lead_org, AffiliationRole.ADMIN)
    MembershipFactory(
        project=hush, user=insider, organisation=hush_lead_org, role=MembershipRole.COORDINATOR
    )
    hush_dataset = DatasetFactory(
        project=hush, steward_organisation=hush_lead_org, title=f"{CANARY_DATASET} cohort"
    )
    hush_controlled = DatasetFactory(
        project=hush,
        steward_organisation=hush_lead_org,
        title=f"{CANARY_CONTROLLED} cohort",
        access_tier=AccessTier.CONTROLLED,
    )
    hush_draft = DatasetFactory(
        project=hush,
        steward_organisation=hush_lead_org,
        title=f"{CANARY_DRAFT} cohort",
        status=DatasetStatus.DRAFT,
        published_at=None,
    )

    # RESPIRE (public): an approved public deliverable with evidence of three kinds.
    evidence_dataset = DatasetFactory(
        project=project, steward_organisation=lead_org, title=f"{CANARY_EVIDENCE_DATASET} data"
    )
    evidence_draft = DatasetFactory(
        project=project,
        steward_organisation=lead_org,
        title=f"{CANARY_EVIDENCE_DRAFT} data",
        status=DatasetStatus.DRAFT,
        published_at=None,
    )
    protocol = ProtocolFactory(
        project=project, title=f"{CANARY_EVIDENCE_PROTOCOL} handling", access_tier=AccessTier.PUBLIC
    )
    draft_version = ProtocolVersionFactory(protocol=protocol, status=ProtocolVersion.Status.DRAFT)
    deliverable = DeliverableFactory(
        project=project,
        code="D1.1",
        title="Public cohort report",
        dissemination=Deliverable.Dissemination.PUBLIC,
        status=Deliverable.Status.APPROVED,
        lead_organisation=lead_org,
    )
    deliverable.datasets.set([evidence_dataset, evidence_draft])
    deliverable.protocol_versions.set([draft_version])

    # The personas.
    non_partner = _person(
        "analyst@nonpartner.test", OrganisationFactory(name="Nonpartner Analytics")
    )
    partner_without_grant = _person("colleague@respire-partner.test", partner_org)
    suspended_member = _person("member@lapsed.test", lapsed_org)
    MembershipFactory(project=hush, user=suspended_member, organisation=lapsed_org)
    former_org = OrganisationFactory(name="Former Grantee Ltd", kind=OrganisationKind.UNIVERSITY)
    expired_grantee = _person("grantee@former.test", former_org)
    AccessGrantFactory(
        request__dataset=hush_controlled,
        request__requester=expired_grantee,
        request__organisation=former_org,
        valid_from=timezone.now() - datetime.timedelta(days=200),
        valid_until=timezone.now() - datetime.timedelta(days=1),
    )
    regulator = OrganisationFactory(name="Medicines Regulator", kind=OrganisationKind.REGULATOR)
    ended_observer = _person("observer@regulator.test", regulator)
    MembershipFactory(
        project=hush,
        user=ended_observer,
        organisation=regulator,
        role=MembershipRole.OBSERVER,
        ends_on=yesterday,
    )
    # Suspension last, after the member's rows exist (as in life: access first, then loss).
    lapsed_org.status = OrganisationStatus.SUSPENDED
    lapsed_org.save()

    return LeakWorld(
        hush=hush,
        respire=project,
        hush_lead_org=hush_lead_org,
        quiet_org=quiet_org,
        invited_org=invited_org,
        lapsed_org=lapsed_org,
        partner_org=partner_org,
        hush_dataset=hush_dataset,
        hush_controlled=hush_controlled,
        hush_draft=hush_draft,
        deliverable=deliverable,
        evidence_dataset=evidence_dataset,
        evidence_draft=evidence_draft,
        draft_version=draft_version,
        insider=insider,
        respire_coordinator=coordinator,
        personas={
            "anonymous": AnonymousUser(),
            "non_partner": non_partner,
            "partner_without_grant": partner_without_grant,
            "suspended_member": suspended_member,
            "expired_grantee": expired_grantee,
            "ended_observer": ended_observer,
        },
    )
