"""Demo protocols: two per demo consortium, each with two versions (the first superseded).
Idempotent: protocols are found by project and title, versions by number."""

from django.core.files.base import ContentFile

from apps.core.models import AccessTier
from apps.documents import services
from apps.documents.models import Protocol, ProtocolVersion
from apps.projects.models import Membership, MembershipRole, Project, ProjectStatus

# The consortia seeded by apps.seeding.demo.projects.
DEMO_ACRONYMS = ("RESPIRA", "SYNOVIA", "PRECISE-LUNG")

# title, tier, [(file name, text, change note, approve?)]
DEMO_PROTOCOLS = [
    (
        "Sample collection and handling SOP",
        AccessTier.CONSORTIUM,
        [
            (
                "sample-handling-v1.md",
                "# Sample collection and handling\n\nInduced sputum: 3% hypertonic saline, "
                "three 5-minute inhalations. Process within 2 hours; store at -80 °C.\n",
                "First issue agreed at the kick-off meeting.",
                True,
            ),
            (
                "sample-handling-v2.md",
                "# Sample collection and handling\n\nInduced sputum: 4.5% hypertonic saline, "
                "three 5-minute inhalations. Process within 2 hours; store at -80 °C.\n"
                "Record the time from collection to freezing on the sample form.\n",
                "Saline raised to 4.5% after the pilot; time-to-freeze now recorded.",
                True,
            ),
        ],
    ),
    (
        "Statistical analysis plan",
        AccessTier.PUBLIC,
        [
            (
                "analysis-plan-v1.md",
                "# Statistical analysis plan\n\nPrimary endpoint: exacerbation rate at 52 "
                "weeks, compared between strata by negative binomial regression.\n",
                "First issue.",
                True,
            ),
            (
                "analysis-plan-v2.md",
                "# Statistical analysis plan\n\nPrimary endpoint: exacerbation rate at 52 "
                "weeks, compared between strata by negative binomial regression, adjusted "
                "for baseline blood eosinophils.\n",
                "Adjust for baseline blood eosinophils (steering committee, month 6).",
                False,
            ),
        ],
    ),
]


def demo_projects() -> list[Project]:
    """The demo consortia that exist and are active (none before apps.seeding.demo.projects ran)."""
    return list(
        Project.objects.filter(acronym__in=DEMO_ACRONYMS, status=ProjectStatus.ACTIVE).order_by(
            "acronym"
        )
    )


def project_people(project):
    """(contributor, coordinator) for the project, either may be None."""
    memberships = Membership.objects.current().filter(project=project).select_related("user")
    coordinator = next((m.user for m in memberships if m.role == MembershipRole.COORDINATOR), None)
    contributor = next(
        (m.user for m in memberships if m.role == MembershipRole.CONTRIBUTOR), coordinator
    )
    return contributor, coordinator


def seed(stdout) -> None:
    projects = demo_projects()
    if not projects:
        stdout.write("  documents: no active demo projects yet; skipped.")
        return
    for project in projects:
        contributor, coordinator = project_people(project)
        if contributor is None or coordinator is None:
            stdout.write(f"  documents: {project.acronym} has no coordinator; skipped.")
            continue
        for title, tier, versions in DISEASE_PROTOCOLS.get(project.acronym, DEMO_PROTOCOLS):
            seed_protocol(project, title, tier, versions, contributor, coordinator)
        stdout.write(f"  documents: protocols for {project.acronym} ready.")


# The same two protocols in the words of the other consortia's diseases (RESPIRA uses the
# respiratory ones above): synovial biopsies and ACR50 for SYNOVIA, ctDNA and PFS for PRECISE-LUNG.
DISEASE_PROTOCOLS = {
    "SYNOVIA": [
        (
            "Sample collection and handling SOP",
            AccessTier.CONSORTIUM,
            [
                (
                    "sample-handling-v1.md",
                    "# Sample collection and handling\n\nUltrasound-guided synovial biopsy of "
                    "the most inflamed joint: six fragments in RNAlater. Store at -80 °C.\n",
                    "First issue agreed at the kick-off meeting.",
                    True,
                ),
                (
                    "sample-handling-v2.md",
                    "# Sample collection and handling\n\nUltrasound-guided synovial biopsy of "
                    "the most inflamed joint: eight fragments in RNAlater. Store at -80 °C.\n"
                    "Record the time from biopsy to freezing on the sample form.\n",
                    "Eight fragments after the pilot; time-to-freeze now recorded.",
                    True,
                ),
            ],
        ),
        (
            "Statistical analysis plan",
            AccessTier.PUBLIC,
            [
                (
                    "analysis-plan-v1.md",
                    "# Statistical analysis plan\n\nPrimary endpoint: ACR50 response at week "
                    "24, compared between synovial pathotypes by logistic regression.\n",
                    "First issue.",
                    True,
                ),
                (
                    "analysis-plan-v2.md",
                    "# Statistical analysis plan\n\nPrimary endpoint: ACR50 response at week "
                    "24, compared between synovial pathotypes by logistic regression, adjusted "
                    "for baseline DAS28-CRP.\n",
                    "Adjust for baseline DAS28-CRP (steering committee, month 6).",
                    False,
                ),
            ],
        ),
    ],
    "PRECISE-LUNG": [
        (
            "Sample collection and handling SOP",
            AccessTier.CONSORTIUM,
            [
                (
                    "sample-handling-v1.md",
                    "# Sample collection and handling\n\nPlasma for ctDNA: two 10 ml "
                    "Streck tubes; double-spin within 72 hours; store plasma at -80 °C.\n",
                    "First issue agreed at the kick-off meeting.",
                    True,
                ),
                (
                    "sample-handling-v2.md",
                    "# Sample collection and handling\n\nPlasma for ctDNA: two 10 ml "
                    "Streck tubes; double-spin within 48 hours; store plasma at -80 °C.\n"
                    "Archival tumour blocks: send the most recent diagnostic block.\n",
                    "Processing window shortened to 48 hours after the pilot.",
                    True,
                ),
            ],
        ),
        (
            "Statistical analysis plan",
            AccessTier.PUBLIC,
            [
                (
                    "analysis-plan-v1.md",
                    "# Statistical analysis plan\n\nPrimary endpoint: progression-free "
                    "survival, compared between molecular strata by Cox regression.\n",
                    "First issue.",
                    True,
                ),
                (
                    "analysis-plan-v2.md",
                    "# Statistical analysis plan\n\nPrimary endpoint: progression-free "
                    "survival, compared between molecular strata by Cox regression, "
                    "stratified by stage and PD-L1 tumour proportion score.\n",
                    "Stratify by stage and PD-L1 (steering committee, month 6).",
                    False,
                ),
            ],
        ),
    ],
}


def seed_protocol(project, title, tier, versions, contributor, coordinator) -> Protocol:
    protocol = Protocol.objects.filter(project=project, title=title).first()
    if protocol is None:
        protocol = services.protocol_create(
            project=project, actor=contributor, title=title, access_tier=tier
        )
    for number, (file_name, text, note, approve) in enumerate(versions, start=1):
        version = protocol.versions.filter(number=number).first()
        if version is None:
            version = services.protocol_version_add(
                protocol=protocol,
                actor=contributor,
                upload=ContentFile(text.encode(), name=file_name),
                change_note=note,
            )
        if approve and version.status == ProtocolVersion.Status.DRAFT:
            services.protocol_version_approve(version=version, actor=coordinator)
    return protocol
