"""The canary world the crawl walks: two live consortia whose hidden fields carry canary words.

- KESTREL, a members-only project (lead pharma, university partner, a partner whose
  organisation is later suspended), with a biomarker, a work package, a milestone, a draft
  dataset, a consortium-tier dataset, a draft protocol version, a restricted deliverable,
  a controlled dataset with a request whose purpose is confidential, and an observer whose
  membership has ended.
- HARRIER, a public project whose public deliverable links a consortium-tier dataset and a
  draft protocol version of its own.

Each canary is one word, alone in one hidden field, so a search box can be probed with it.
Whether a persona may see the field is the policy's answer (`can`), checked separately by the
policy matrix; the crawl asks the other question — does any channel show more than that?
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.access.models import GrantStatus, RequestStatus
from apps.access.policy import Action
from apps.core.kinds import shared_kinds
from apps.core.models import AccessTier
from apps.datasets.models import DatasetStatus
from apps.documents.models import ProtocolVersion
from apps.milestones.models import Deliverable
from apps.organisations.models import AffiliationRole, OrganisationKind, OrganisationStatus
from apps.projects.models import MembershipRole, PartnerRole, SummaryVisibility
from tests.access.factories import (
    AccessGrantFactory,
    AccessRequestFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    ControlledDatasetFactory,
)
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.kinds import BUILDERS
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.notifications.factories import NotificationFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import (
    BiomarkerFactory,
    MembershipFactory,
    PartnerFactory,
    ProjectFactory,
    WorkPackageFactory,
)

# The personas of issue 15, and the controls who are entitled to every canary between them.
PROBES = (
    "anonymous",
    "nonpartner",
    "partner_no_grant",
    "suspended_member",
    "expired_grantee",
    "ended_observer",
)
CONTROLS = ("coordinator", "staff")


@dataclass
class Canary:
    word: str
    obj: object
    action: str  # the policy action that governs the field the word sits in
    # Text that names the object where its card is public (a members-only project's title):
    # a search for the hidden word must not make it appear.
    public_name: str = ""


@dataclass
class World:
    people: dict = field(default_factory=dict)
    canaries: list[Canary] = field(default_factory=list)
    projects: list = field(default_factory=list)

    def add(self, word: str, obj, action: str = Action.VIEW, public_name: str = "") -> None:
        self.canaries.append(Canary(word, obj, action, public_name))


def build_world() -> World:
    world = World()
    lead = OrganisationFactory(name="Pharmacorp Crawl", kind=OrganisationKind.PHARMA)
    university = OrganisationFactory(name="Crawl University", kind=OrganisationKind.UNIVERSITY)
    suspended = OrganisationFactory(name="Lapsed Diagnostics", kind=OrganisationKind.DIAGNOSTICS)
    outsider_org = OrganisationFactory(name="Rival Biotech", kind=OrganisationKind.PHARMA)
    regulator = OrganisationFactory(name="Medicines Regulator", kind=OrganisationKind.REGULATOR)

    def person(name: str, organisation=None, **extra):
        user = UserFactory(email=f"{name}@crawl.test", first_name=name.title(), **extra)
        if organisation is not None:
            AffiliationFactory(user=user, organisation=organisation)
        return user

    people = world.people
    people["anonymous"] = AnonymousUser()
    people["staff"] = UserFactory(email="staff@crawl.test", is_staff=True, is_superuser=True)
    people["coordinator"] = person("coordinator")
    AffiliationFactory(user=people["coordinator"], organisation=lead, role=AffiliationRole.ADMIN)
    people["nonpartner"] = person("nonpartner", outsider_org)
    people["partner_no_grant"] = person("partnernogrant", university)
    people["suspended_member"] = person("suspendedmember", suspended)
    people["expired_grantee"] = person("expiredgrantee", university)
    people["ended_observer"] = person("endedobserver", regulator)

    kestrel = ProjectFactory(
        title="Kestrel stratification",
        acronym="KESTREL",
        summary="Confidential plan: kestrelsummary cohorts.",
        summary_visibility=SummaryVisibility.MEMBERS,
    )
    PartnerFactory(project=kestrel, organisation=lead, role=PartnerRole.LEAD)
    PartnerFactory(project=kestrel, organisation=university, role=PartnerRole.PARTNER)
    PartnerFactory(project=kestrel, organisation=suspended, role=PartnerRole.PARTNER)
    MembershipFactory(
        project=kestrel,
        user=people["coordinator"],
        organisation=lead,
        role=MembershipRole.COORDINATOR,
    )
    MembershipFactory(
        project=kestrel,
        user=people["ended_observer"],
        organisation=regulator,
        role=MembershipRole.OBSERVER,
        ends_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    world.add("kestrelsummary", kestrel, Action.VIEW_DETAILS, public_name="kestrel stratification")
    world.add("kestrelbiomarker", BiomarkerFactory(project=kestrel, name="kestrelbiomarker"))
    world.add("kestrelworkpackage", WorkPackageFactory(project=kestrel, title="kestrelworkpackage"))
    world.add(
        "kestrelmilestone",
        MilestoneFactory(project=kestrel, title="Milestone kestrelmilestone reached"),
    )
    world.add(
        "kestreldraftdataset",
        DatasetFactory(
            project=kestrel,
            title="kestreldraftdataset cohort",
            status=DatasetStatus.DRAFT,
            published_at=None,
            steward_organisation=lead,
        ),
    )
    consortium_dataset = DatasetFactory(
        project=kestrel, title="kestrelconsortiumdataset cohort", steward_organisation=lead
    )
    world.add("kestrelconsortiumdataset", consortium_dataset)
    world.add(
        "kestrelfile",
        DatasetFileFactory(dataset=consortium_dataset, file_name="kestrelfile.csv"),
    )
    protocol = ProtocolFactory(project=kestrel, title="Kestrel sampling protocol")
    world.add(
        "kestreldraftversion",
        ProtocolVersionFactory(
            protocol=protocol,
            status=ProtocolVersion.Status.DRAFT,
            change_note="kestreldraftversion wording",
        ),
    )
    world.add(
        "kestreldeliverable",
        DeliverableFactory(
            project=kestrel,
            code="D9.1",
            title="kestreldeliverable report",
            dissemination=Deliverable.Dissemination.RESTRICTED,
        ),
    )

    controlled = ControlledDatasetFactory(
        project=kestrel, title="Kestrel controlled cohort", steward_organisation=lead
    )
    committee = CommitteeFactory(project=kestrel)
    CommitteeMemberFactory(committee=committee, user=people["coordinator"], organisation=lead)
    request = AccessRequestFactory(
        dataset=controlled,
        requester=people["expired_grantee"],
        organisation=university,
        status=RequestStatus.APPROVED,
        purpose="Confidential purpose kestrelpurpose analysis.",
        submitted_at=timezone.now() - datetime.timedelta(days=400),
    )
    world.add("kestrelpurpose", request, Action.VIEW_PURPOSE)
    AccessGrantFactory(
        request=request,
        status=GrantStatus.ACTIVE,
        valid_from=timezone.now() - datetime.timedelta(days=400),
        valid_until=timezone.now() - datetime.timedelta(days=1),
    )

    harrier = ProjectFactory(title="Harrier public cohort", acronym="HARRIER")
    PartnerFactory(project=harrier, organisation=lead, role=PartnerRole.LEAD)
    MembershipFactory(
        project=harrier,
        user=people["coordinator"],
        organisation=lead,
        role=MembershipRole.COORDINATOR,
    )
    harrier_dataset = DatasetFactory(
        project=harrier,
        title="harrierconsortiumdataset cohort",
        access_tier=AccessTier.CONSORTIUM,
        steward_organisation=lead,
    )
    harrier_version = ProtocolVersionFactory(
        protocol=ProtocolFactory(
            project=harrier, title="Harrier protocol", access_tier=AccessTier.PUBLIC
        ),
        status=ProtocolVersion.Status.DRAFT,
        change_note="harrierdraftversion wording",
    )
    world.add("harrierconsortiumdataset", harrier_dataset)
    world.add("harrierdraftversion", harrier_version)
    public_deliverable = DeliverableFactory(
        project=harrier,
        code="D1.1",
        title="Harrier public report",
        dissemination=Deliverable.Dissemination.PUBLIC,
        status=Deliverable.Status.SUBMITTED,
        approved_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    public_deliverable.datasets.add(harrier_dataset)
    public_deliverable.protocol_versions.add(harrier_version)

    world.add(
        "kestrelnotification",
        NotificationFactory(
            recipient=people["coordinator"], subject="kestrelnotification news", url="/"
        ),
    )

    # One consortium-tier item of every shared kind (`apps.core.kinds`) in the members-only
    # project, from the registry: a new kind is crawled without being named here.
    for kind in shared_kinds():
        word = f"kestrel{kind.name}item"
        item, _stored = BUILDERS[kind.name](kestrel, AccessTier.CONSORTIUM, title=f"{word} work")
        world.add(word, item)

    # Suspension comes last, as it does in life: the organisation was a partner until today.
    suspended.status = OrganisationStatus.SUSPENDED
    suspended.save()
    world.projects = [kestrel, harrier]
    return world
