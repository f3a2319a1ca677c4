"""Demo controlled access: a committee per demo consortium, a data-use policy on each
controlled dataset, and in the first consortium one pending, one approved (with its grant) and
one rejected request. Everything goes through the services, so the automatic check, conflicts
and audit events are genuine. Idempotent: committees by project, policies only when missing,
requests by requester and dataset."""

from apps.access import services
from apps.access.models import AccessRequest, DataAccessCommittee
from apps.access.selectors import dataset_current_policy, request_deciders
from apps.accounts.models import User
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.organisations.models import Affiliation
from apps.projects.models import Membership, PartnerStatus
from apps.seeding.demo.documents import demo_projects
from apps.seeding.demo.security import enrol_demo_mfa

COMMITTEE_SIZE = 3

# requester e-mail (or None for the demo user), the decision, its reason, the declared purpose.
DEMO_REQUESTS = [
    (
        "demo@stratum.test",
        "approve",
        "",
        "Replicate the sputum endotype classifier on 52-week outcomes and report calibration "
        "by stratum.",
    ),
    (
        None,  # a contributor of another partner: left pending for the committee
        None,
        "",
        "Test whether exhaled-breath markers predict exacerbations within each endotype.",
    ),
    (
        None,  # a third partner's contributor: rejected by the committee
        "reject",
        "The purpose does not say which outcomes are needed; please narrow it and re-apply.",
        "Explore the outcomes data.",
    ),
]


def seed(stdout) -> None:
    projects = demo_projects()
    if not projects:
        stdout.write("  access: no active demo projects yet; skipped.")
        return
    showcase = _showcase_project(projects)
    for project in projects:
        committee = _committee(project)
        if committee is None:
            stdout.write(f"  access: {project.acronym} has no members to sit on a committee.")
            continue
        controlled = list(
            Dataset.objects.filter(
                project=project,
                access_tier=AccessTier.CONTROLLED,
                status=DatasetStatus.PUBLISHED,
            )
        )
        for dataset in controlled:
            _policy(dataset, actor=_coordinator(project))
        if project == showcase and controlled:
            _requests(project, controlled[0])
        stdout.write(
            f"  access: {committee.name} ({committee.members.filter(ended_at__isnull=True).count()}"
            f" members), {len(controlled)} controlled dataset(s) with a policy."
        )


def _showcase_project(projects):
    """The consortium the demo user belongs to (RESPIRA), so signing in shows the requests."""
    demo_projects_ids = Membership.objects.current().filter(user__email="demo@stratum.test")
    ids = set(demo_projects_ids.values_list("project_id", flat=True))
    return next((p for p in projects if p.pk in ids), projects[0])


def _coordinator(project) -> User | None:
    membership = (
        Membership.objects.current()
        .filter(project=project, role="coordinator")
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _committee(project) -> DataAccessCommittee | None:
    """One seat per partner organisation (up to three), the first as chair."""
    actor = _coordinator(project)
    committee = services.committee_create(project=project, actor=actor)
    if committee.members.filter(ended_at__isnull=True).exists():
        return committee
    seated_orgs: set = set()
    memberships = (
        Membership.objects.current()
        .filter(project=project, role__in=["coordinator", "contributor"])
        .select_related("user", "organisation")
        .order_by("role", "user__last_name")
    )
    for membership in memberships:
        if len(seated_orgs) >= COMMITTEE_SIZE or membership.organisation_id in seated_orgs:
            continue
        is_partner = project.partners.filter(
            organisation=membership.organisation, status=PartnerStatus.ACTIVE
        ).exists()
        if not is_partner:
            continue
        services.committee_member_add(
            committee=committee,
            user=membership.user,
            organisation=membership.organisation,
            actor=actor,
            is_chair=not seated_orgs,
        )
        seated_orgs.add(membership.organisation_id)
    return committee if seated_orgs else None


def _policy(dataset, *, actor) -> None:
    if dataset_current_policy(dataset) is not None:
        return
    areas = [str(pk) for pk in dataset.project.disease_areas.values_list("pk", flat=True)]
    services.data_use_policy_set(
        dataset=dataset,
        actor=actor,
        permission="DS" if areas else "GRU",
        permission_value=areas or None,
        modifiers={"NCU": None, "PUB": None, "TS": 12},
    )


def _requesters(project, dataset) -> list[User]:
    """The demo user first, then contributors of other partner organisations, one each."""
    chosen: list[User] = []
    orgs: set = set()
    demo = User.objects.filter(email="demo@stratum.test").first()
    if demo is not None:
        chosen.append(demo)
        orgs.update(
            Affiliation.objects.active().filter(user=demo).values_list("organisation_id", flat=True)
        )
    memberships = (
        Membership.objects.current()
        .filter(project=project, role="contributor")
        .exclude(organisation_id=dataset.steward_organisation_id)
        .select_related("user")
        .order_by("user__last_name")
    )
    for membership in memberships:
        if membership.organisation_id not in orgs and membership.user not in chosen:
            chosen.append(membership.user)
            orgs.add(membership.organisation_id)
    return chosen


def _requests(project, dataset) -> None:
    for requester, (_, decision, reason, purpose) in zip(
        _requesters(project, dataset), DEMO_REQUESTS, strict=False
    ):
        if AccessRequest.objects.filter(requester=requester, dataset=dataset).exists():
            continue
        organisation = Affiliation.objects.active().filter(user=requester).first()
        if organisation is None:
            continue
        draft = services.access_request_create(
            dataset=dataset,
            requester=requester,
            organisation=organisation.organisation,
            data={
                "purpose": purpose,
                "diseases": list(project.disease_areas.all()[:1]),
                "attestations": ["PUB"],
            },
        )
        submitted = services.access_request_submit(access_request=draft, actor=requester)
        deciders = request_deciders(submitted)
        if decision is None or not deciders or submitted.status != "in_review":
            continue
        enrol_demo_mfa(deciders[0])  # deciding needs a second factor, as for real people
        if decision == "approve":
            services.access_request_approve(access_request=submitted, actor=deciders[0])
        else:
            services.access_request_reject(
                access_request=submitted, actor=deciders[0], reason=reason
            )
