"""Synthetic consortium-network data for benchmarks: deterministic, bulk-inserted, idempotent.

Every generated row is recognisable by its scale prefix (slugs `scale-<s>-…`, e-mails
`p<n>.<s>@scale.stratum.test`), so a second run for the same scale finds its marker and stops.
Files are metadata only (no bytes on disk) except where a benchmark uploads its own.
"""

import datetime
import hashlib
import random
from collections.abc import Iterable, Iterator
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from apps.access.models import AccessGrant, AccessRequest, GrantStatus, RequestStatus
from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.core.ids import uuid7
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile, DatasetStatus
from apps.diseases.models import DiseaseArea
from apps.documents.models import Protocol, ProtocolVersion
from apps.milestones.models import Milestone, MilestoneStatus
from apps.notifications.models import EventType, Notification
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
)
from apps.projects.models import (
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    ProjectStatus,
    SummaryVisibility,
)
from apps.seeding.scale.sizes import Scale

BATCH = 5_000
SEED = 20261126
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - synthetic benchmark data only
WORDS = (
    "asthma biomarker cohort eosinophil genomic inflammation interleukin lung metabolomic "
    "phenotype proteomic response rheumatoid stratum synovial tumour therapy trial variant "
    "imaging arthritis oncology companion diagnostic sequencing registry outcome airway"
).split()
TIERS = [
    AccessTier.PUBLIC,
    AccessTier.REGISTERED,
    AccessTier.CONSORTIUM,
    AccessTier.ORGANISATIONS,
    AccessTier.CONTROLLED,
]


def chunked(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_insert(model, rows: Iterable, total: int, label: str) -> None:
    with tqdm(total=total, desc=f"{label:<18}", unit="rows", leave=True) as bar:
        for batch in chunked(rows):
            model.objects.bulk_create(batch, batch_size=BATCH)
            bar.update(len(batch))


def phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def marker_slug(scale_name: str) -> str:
    return f"scale-{scale_name}-org-0"


def bench_email(scale_name: str) -> str:
    return f"bench-{scale_name}@scale.stratum.test"


class Generator:
    def __init__(self, scale_name: str, scale: Scale):
        self.name = scale_name
        self.size = scale
        self.rng = random.Random(f"{SEED}-{scale_name}")
        self.now = timezone.now()
        self.password = make_password(BENCH_PASSWORD)

    def already_done(self) -> bool:
        return Organisation.objects.filter(slug=marker_slug(self.name)).exists()

    def run(self) -> None:
        with transaction.atomic():
            self.organisations()
            self.people()
            self.projects()
            self.items()
            self.access()
            self.milestones()
        # Append-only history tables in their own transactions: they are large and independent.
        self.audit_events()
        self.notifications()

    # --- organisations and people ---------------------------------------------------------------
    def organisations(self) -> None:
        kinds = list(OrganisationKind.values)
        self.org_ids = [uuid7() for _ in range(self.size.organisations)]
        self.org_kind = {}

        def rows():
            for index, org_id in enumerate(self.org_ids):
                kind = OrganisationKind.UNIVERSITY if index == 0 else self.rng.choice(kinds)
                self.org_kind[org_id] = kind
                yield Organisation(
                    id=org_id,
                    name=f"Scale {self.name} organisation {index}",
                    slug=f"scale-{self.name}-org-{index}",
                    kind=kind,
                    country=self.rng.choice(["GB", "GB", "GB", "DE", "FR", "NL", "US", "SE"]),
                    status=OrganisationStatus.APPROVED,
                    status_changed_at=self.now,
                )

        bulk_insert(Organisation, rows(), len(self.org_ids), "organisations")

    def people(self) -> None:
        self.user_ids = [uuid7() for _ in range(self.size.people)]
        self.user_org = {}

        def users():
            for index, user_id in enumerate(self.user_ids):
                email = (
                    bench_email(self.name)
                    if index == 0
                    else f"p{index}.{self.name}@scale.stratum.test"
                )
                yield User(
                    id=user_id,
                    email=email,
                    password=self.password,
                    first_name=f"Person{index}",
                    last_name=self.name.upper(),
                    is_active=True,
                )

        bulk_insert(User, users(), len(self.user_ids), "people")

        def affiliations():
            for index, user_id in enumerate(self.user_ids):
                org_id = self.org_ids[0] if index == 0 else self.rng.choice(self.org_ids)
                self.user_org[user_id] = org_id
                role = AffiliationRole.ADMIN if index % 50 == 0 else AffiliationRole.MEMBER
                yield Affiliation(user_id=user_id, organisation_id=org_id, role=role)

        bulk_insert(Affiliation, affiliations(), len(self.user_ids), "affiliations")
        self.people_by_org: dict = {}
        for user_id, org_id in self.user_org.items():
            self.people_by_org.setdefault(org_id, []).append(user_id)

    # --- projects ---------------------------------------------------------------------------------
    def projects(self) -> None:
        self.project_ids = [uuid7() for _ in range(self.size.projects)]
        self.project_partners: dict = {}
        self.disease_ids = list(DiseaseArea.objects.values_list("id", flat=True))
        start = datetime.date(2024, 1, 1)

        def rows():
            for index, project_id in enumerate(self.project_ids):
                words = phrase(self.rng, 3)
                yield Project(
                    id=project_id,
                    title=f"{words.title()} consortium {index}",
                    acronym=f"S{self.name.upper()}{index}",
                    slug=f"scale-{self.name}-{index}",
                    summary=f"Stratifying patients by {phrase(self.rng, 12)}.",
                    status=ProjectStatus.ACTIVE,
                    start_date=start,
                    end_date=start + datetime.timedelta(days=365 * 5),
                    summary_visibility=(
                        SummaryVisibility.PUBLIC if index % 4 else SummaryVisibility.MEMBERS
                    ),
                )

        bulk_insert(Project, rows(), len(self.project_ids), "projects")
        through = Project.disease_areas.through
        if self.disease_ids:
            links = (
                through(project_id=p, diseasearea_id=self.rng.choice(self.disease_ids))
                for p in self.project_ids
            )
            bulk_insert(through, links, len(self.project_ids), "project diseases")
        bulk_insert(Partner, self._partners(), len(self.project_ids) * 4, "partners")
        bulk_insert(Membership, self._memberships(), len(self.project_ids) * 3, "memberships")

    def _partners(self):
        for index, project_id in enumerate(self.project_ids):
            orgs = self.rng.sample(self.org_ids[1:], 4)
            if index < 5:  # the bench persona's organisation partners in five consortia
                orgs[1] = self.org_ids[0]
            self.project_partners[project_id] = orgs
            for position, org_id in enumerate(orgs):
                yield Partner(
                    project_id=project_id,
                    organisation_id=org_id,
                    role=PartnerRole.LEAD if position == 0 else PartnerRole.PARTNER,
                    status=PartnerStatus.ACTIVE,
                    joined_on=datetime.date(2024, 1, 1),
                )

    def _memberships(self):
        for index, project_id in enumerate(self.project_ids):
            lead, partner = self.project_partners[project_id][:2]
            people = [
                (
                    self.rng.choice(self.people_by_org.get(lead) or [self.user_ids[1]]),
                    lead,
                    MembershipRole.COORDINATOR,
                )
            ]
            if index < 5:
                people.append((self.user_ids[0], self.org_ids[0], MembershipRole.CONTRIBUTOR))
            elif self.people_by_org.get(partner):
                people.append(
                    (
                        self.rng.choice(self.people_by_org[partner]),
                        partner,
                        MembershipRole.CONTRIBUTOR,
                    )
                )
            seen = set()
            for user_id, org_id, role in people:
                if user_id in seen or self.user_org.get(user_id) != org_id:
                    continue
                seen.add(user_id)
                yield Membership(
                    project_id=project_id, user_id=user_id, organisation_id=org_id, role=role
                )

    # --- protocols, datasets, files ---------------------------------------------------------------
    def items(self) -> None:
        per_project = max(1, self.size.datasets // len(self.project_ids))
        self.dataset_ids, self.controlled = [], []

        def datasets():
            for project_id in self.project_ids:
                for n in range(per_project):
                    dataset_id = uuid7()
                    tier = TIERS[(len(self.dataset_ids)) % len(TIERS)]
                    self.dataset_ids.append(dataset_id)
                    if tier == AccessTier.CONTROLLED:
                        self.controlled.append((dataset_id, project_id))
                    yield Dataset(
                        id=dataset_id,
                        project_id=project_id,
                        title=f"{phrase(self.rng, 3).title()} dataset {n}",
                        description=phrase(self.rng, 20),
                        steward_organisation_id=self.project_partners[project_id][0],
                        access_tier=tier,
                        status=DatasetStatus.PUBLISHED,
                        published_at=self.now,
                    )

        bulk_insert(Dataset, datasets(), per_project * len(self.project_ids), "datasets")
        self._files()
        self._protocols()

    def _files(self):
        per = self.size.files_per_dataset

        def rows():
            for dataset_id in self.dataset_ids:
                for n in range(per):
                    digest = hashlib.sha256(f"{dataset_id}-{n}".encode()).hexdigest()
                    file_id = uuid7()
                    yield DatasetFile(
                        id=file_id,
                        dataset_id=dataset_id,
                        file=f"scale/{file_id}",
                        file_name=f"part-{n}.csv",
                        sha256=digest,
                        size=self.rng.randint(10_000, 50_000_000),
                        content_type="text/csv",
                    )

        bulk_insert(DatasetFile, rows(), len(self.dataset_ids) * per, "dataset files")

    def _protocols(self):
        protocols = self.size.protocol_versions // 2
        protocol_ids = [uuid7() for _ in range(protocols)]
        rows = (
            Protocol(
                id=pid,
                project_id=self.project_ids[i % len(self.project_ids)],
                title=f"{phrase(self.rng, 2).title()} protocol {i}",
                access_tier=TIERS[i % 4],
            )
            for i, pid in enumerate(protocol_ids)
        )
        bulk_insert(Protocol, rows, protocols, "protocols")

        def versions():
            for pid in protocol_ids:
                for number, status in (
                    (1, ProtocolVersion.Status.SUPERSEDED),
                    (2, ProtocolVersion.Status.APPROVED),
                ):
                    version_id = uuid7()
                    yield ProtocolVersion(
                        id=version_id,
                        protocol_id=pid,
                        number=number,
                        status=status,
                        file=f"scale/{version_id}",
                        file_name=f"protocol-v{number}.pdf",
                        sha256=hashlib.sha256(version_id.bytes).hexdigest(),
                        size=250_000,
                        content_type="application/pdf",
                        change_note=phrase(self.rng, 8),
                    )

        bulk_insert(ProtocolVersion, versions(), protocols * 2, "protocol versions")

    # --- access requests and grants ---------------------------------------------------------------
    def access(self) -> None:
        count = min(self.size.access_requests, len(self.controlled) * 20)
        pairs = set()
        request_rows, grant_rows = [], []
        while len(pairs) < count:
            dataset_id, _project = self.rng.choice(self.controlled)
            user_id = self.rng.choice(self.user_ids)
            if (user_id, dataset_id) in pairs:
                continue
            pairs.add((user_id, dataset_id))
            approved = len(pairs) % 2 == 0
            request_id = uuid7()
            request_rows.append(
                AccessRequest(
                    id=request_id,
                    dataset_id=dataset_id,
                    requester_id=user_id,
                    organisation_id=self.user_org[user_id],
                    status=RequestStatus.APPROVED if approved else RequestStatus.IN_REVIEW,
                    purpose=phrase(self.rng, 15),
                    submitted_at=self.now,
                    decided_at=self.now if approved else None,
                )
            )
            if approved:
                grant_rows.append(
                    AccessGrant(
                        dataset_id=dataset_id,
                        user_id=user_id,
                        organisation_id=self.user_org[user_id],
                        request_id=request_id,
                        status=GrantStatus.ACTIVE,
                        valid_from=self.now,
                        valid_until=self.now + datetime.timedelta(days=self.rng.randint(1, 365)),
                    )
                )
        bulk_insert(AccessRequest, request_rows, len(request_rows), "access requests")
        bulk_insert(AccessGrant, grant_rows, len(grant_rows), "access grants")

    def milestones(self) -> None:
        statuses = list(MilestoneStatus.values)

        def rows():
            for index in range(self.size.milestones):
                project_id = self.project_ids[index % len(self.project_ids)]
                yield Milestone(
                    project_id=project_id,
                    title=f"{phrase(self.rng, 3).capitalize()} {index}",
                    due_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=index % 1500),
                    status=self.rng.choice(statuses),
                    owner_organisation_id=self.project_partners[project_id][0],
                )

        bulk_insert(Milestone, rows(), self.size.milestones, "milestones")

    # --- history ------------------------------------------------------------------------------------
    def audit_events(self) -> None:
        actions = [
            "dataset.file.download",
            "project.update",
            "access_request.submit",
            "access_grant.create",
            "membership.add",
        ]

        def rows():
            for index in range(self.size.audit_events):
                yield AuditEvent(
                    occurred_at=self.now - datetime.timedelta(minutes=index),
                    actor_id=self.user_ids[index % len(self.user_ids)],
                    action=actions[index % len(actions)],
                    target_type="datasets.dataset",
                    target_id=str(self.dataset_ids[index % len(self.dataset_ids)]),
                    target_repr="Synthetic",
                    project_id=self.project_ids[index % len(self.project_ids)],
                )

        with transaction.atomic():
            bulk_insert(AuditEvent, rows(), self.size.audit_events, "audit events")

    def notifications(self) -> None:
        def rows():
            for index in range(self.size.notifications):
                yield Notification(
                    recipient_id=self.user_ids[index % len(self.user_ids)],
                    event_type=EventType.MILESTONE_DUE,
                    subject=f"Milestone due {index}",
                    project_id=self.project_ids[index % len(self.project_ids)],
                    read_at=self.now if index % 3 else None,
                )

        with transaction.atomic():
            bulk_insert(Notification, rows(), self.size.notifications, "notifications")
