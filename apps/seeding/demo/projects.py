"""Three realistic consortia (and one proposal awaiting staff) on the organisations demo.

Idempotent: rows are found by slug / natural key and created only when missing. The
organisations and people come from `apps/seeding/demo/organisations.py` when it has run; any that are
missing are created here the same way, so the two modules can run in either state.
"""

from datetime import date, timedelta

from django.utils import timezone

from apps.diseases.models import DiseaseArea
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
)
from apps.projects.models import (
    Biomarker,
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    ProjectFunder,
    ProjectStatus,
    SummaryVisibility,
    WorkPackage,
)
from apps.projects.services.projects import disease_area_names_refresh
from apps.seeding.demo.accounts import demo_user

K = OrganisationKind
# slug → (name, kind, country, e-mail domain), matching apps/seeding/demo/organisations.py
ORGANISATIONS = {
    "brightwater-pharma": ("Brightwater Pharma", K.PHARMA, "GB", "brightwater-pharma.test"),
    "helix-diagnostics": ("Helix Diagnostics", K.DIAGNOSTICS, "DE", "helix-dx.test"),
    "university-of-northbridge": (
        "University of Northbridge",
        K.UNIVERSITY,
        "GB",
        "northbridge.ac.test",
    ),
    "rheinau-university": (
        "Rheinau University Medical Centre",
        K.UNIVERSITY,
        "DE",
        "uni-rheinau.test",
    ),
    "eastvale-nhs": ("Eastvale NHS Foundation Trust", K.NHS, "GB", "eastvale-nhs.test"),
    "mdra": ("Medicines and Devices Regulatory Agency", K.REGULATOR, "GB", "mdra.test"),
    "translational-research-fund": ("Translational Research Fund", K.FUNDER, "GB", "trfund.test"),
    "northern-health-informatics": (
        "Northern Health Informatics Programme",
        K.HEALTH_INFORMATICS,
        "GB",
        "nhip.test",
    ),
    "health-economics-modelling": (
        "Centre for Health Economics Modelling",
        K.HEALTH_ECONOMICS,
        "NL",
        "chem-econ.test",
    ),
    "breathe-easy": ("Breathe Easy Patient Alliance", K.CHARITY, "GB", "breathe-easy.test"),
}

CONSORTIA = [
    {
        "slug": "respira",
        "acronym": "RESPIRA",
        "title": "Stratifying airway inflammation in severe asthma and COPD",
        "summary": (
            "RESPIRA brings a pharmaceutical company, two universities, an NHS trust and a "
            "patient charity together to define inflammatory endotypes of severe asthma and "
            "COPD from blood, sputum and exhaled-breath biomarkers, and to test whether "
            "endotype-guided choice of biologic improves exacerbation rates."
        ),
        "areas": ["severe-asthma", "copd"],
        "start": date(2026, 1, 1),
        "end": date(2029, 12, 31),
        "visibility": SummaryVisibility.PUBLIC,
        "rec": "26/NE/0142",
        "iras": "331245",
        "agreement": date(2025, 11, 14),
        "partners": [
            ("brightwater-pharma", PartnerRole.LEAD),
            ("university-of-northbridge", PartnerRole.PARTNER),
            ("rheinau-university", PartnerRole.PARTNER),
            ("eastvale-nhs", PartnerRole.PARTNER),
            ("breathe-easy", PartnerRole.ASSOCIATE),
            ("mdra", PartnerRole.ASSOCIATE),
        ],
        "funders": [("translational-research-fund", "TRF/2025/RESP/017")],
        "members": [
            ("Priya", "Shah", "brightwater-pharma", MembershipRole.COORDINATOR),
            ("Eleanor", "Price", "university-of-northbridge", MembershipRole.COORDINATOR),
            ("Tom", "Hughes", "brightwater-pharma", MembershipRole.CONTRIBUTOR),
            ("Kwame", "Mensah", "university-of-northbridge", MembershipRole.CONTRIBUTOR),
            ("Anna", "Becker", "rheinau-university", MembershipRole.CONTRIBUTOR),
            ("Grace", "O'Neill", "eastvale-nhs", MembershipRole.CONTRIBUTOR),
            ("Margaret", "Wilson", "breathe-easy", MembershipRole.VIEWER),
            ("Helen", "Carter", "mdra", MembershipRole.OBSERVER),
        ],
        "demo_member": ("university-of-northbridge", MembershipRole.CONTRIBUTOR),
        "work_packages": [
            (1, "Cohort and sample logistics", ["eastvale-nhs"]),
            (2, "Endotype discovery from sputum and blood", ["university-of-northbridge"]),
            (3, "Exhaled-breath biomarker validation", ["rheinau-university"]),
            (4, "Endotype-guided biologic trial design", ["brightwater-pharma"]),
        ],
        "biomarkers": [
            (
                "Blood eosinophil count ≥300 cells/µL",
                Biomarker.Kind.CLINICAL,
                "Type 2-high severe asthma likely to respond to anti-IL-5 therapy",
                "Full blood count",
                None,
                Biomarker.Stage.CLINICAL_UTILITY,
                Biomarker.RegulatoryStatus.CE_UKCA,
            ),
            (
                "Fractional exhaled nitric oxide (FeNO)",
                Biomarker.Kind.CLINICAL,
                "Airway type 2 inflammation (FeNO ≥25 ppb)",
                "Point-of-care FeNO analyser",
                None,
                Biomarker.Stage.ROUTINE_USE,
                Biomarker.RegulatoryStatus.CE_UKCA,
            ),
            (
                "Sputum neutrophil signature",
                Biomarker.Kind.GENOMIC,
                "Neutrophilic COPD with frequent exacerbations",
                "RNA-seq 12-gene panel",
                None,
                Biomarker.Stage.DISCOVERY,
                Biomarker.RegulatoryStatus.RUO,
            ),
        ],
    },
    {
        "slug": "synovia",
        "acronym": "SYNOVIA",
        "title": "Synovial pathotypes to stratify treatment in rheumatoid arthritis",
        "summary": (
            "SYNOVIA classifies early rheumatoid arthritis by synovial-biopsy pathotype "
            "(lympho-myeloid, diffuse-myeloid, pauci-immune) and links pathotype to response to "
            "first biologic, with linked electronic health records and a health-economic model "
            "of pathotype-guided prescribing."
        ),
        "areas": ["rheumatoid-arthritis"],
        "start": date(2025, 4, 1),
        "end": date(2028, 3, 31),
        "visibility": SummaryVisibility.MEMBERS,
        "rec": "25/LO/0388",
        "iras": "318802",
        "agreement": date(2025, 3, 2),
        "partners": [
            ("rheinau-university", PartnerRole.LEAD),
            ("brightwater-pharma", PartnerRole.PARTNER),
            ("northern-health-informatics", PartnerRole.PARTNER),
            ("health-economics-modelling", PartnerRole.PARTNER),
        ],
        "funders": [("translational-research-fund", "TRF/2024/MSK/004")],
        "members": [
            ("Anna", "Becker", "rheinau-university", MembershipRole.COORDINATOR),
            ("Felix", "Wolf", "rheinau-university", MembershipRole.CONTRIBUTOR),
            ("Priya", "Shah", "brightwater-pharma", MembershipRole.CONTRIBUTOR),
            ("Owen", "Jones", "northern-health-informatics", MembershipRole.CONTRIBUTOR),
            ("Maarten", "de Vries", "health-economics-modelling", MembershipRole.CONTRIBUTOR),
        ],
        "demo_member": None,
        "work_packages": [
            (1, "Synovial biopsy cohort", ["rheinau-university"]),
            (2, "Pathotype classifier", ["rheinau-university", "brightwater-pharma"]),
            (3, "Linked health records", ["northern-health-informatics"]),
            (4, "Cost-effectiveness of pathotype-guided therapy", ["health-economics-modelling"]),
        ],
        "biomarkers": [
            (
                "Synovial CD20+ B-cell score",
                Biomarker.Kind.IMAGING,
                "Lympho-myeloid pathotype, candidates for rituximab",
                "Immunohistochemistry semi-quantitative score",
                None,
                Biomarker.Stage.CLINICAL_VALIDATION,
                Biomarker.RegulatoryStatus.RUO,
            ),
            (
                "Anti-CCP antibody",
                Biomarker.Kind.PROTEOMIC,
                "Seropositive RA with erosive course",
                "ELISA",
                None,
                Biomarker.Stage.ROUTINE_USE,
                Biomarker.RegulatoryStatus.CE_UKCA,
            ),
        ],
    },
    {
        "slug": "precise-lung",
        "acronym": "PRECISE-LUNG",
        "title": "Companion diagnostics for targeted therapy in non-small cell lung cancer",
        "summary": (
            "PRECISE-LUNG develops and validates tissue and liquid-biopsy companion diagnostics "
            "for targeted therapies in advanced non-small cell lung cancer, comparing "
            "circulating-tumour-DNA testing against tissue next-generation sequencing in NHS "
            "pathways."
        ),
        "areas": ["non-small-cell-lung-cancer"],
        "start": date(2026, 3, 1),
        "end": date(2030, 2, 28),
        "visibility": SummaryVisibility.PUBLIC,
        "rec": "26/WM/0051",
        "iras": "335918",
        "agreement": date(2026, 2, 10),
        "partners": [
            ("helix-diagnostics", PartnerRole.LEAD),
            ("brightwater-pharma", PartnerRole.PARTNER),
            ("eastvale-nhs", PartnerRole.PARTNER),
            ("university-of-northbridge", PartnerRole.PARTNER),
        ],
        "funders": [("translational-research-fund", "TRF/2026/ONC/009")],
        "members": [
            ("Jonas", "Weber", "helix-diagnostics", MembershipRole.COORDINATOR),
            ("Lena", "Fischer", "helix-diagnostics", MembershipRole.CONTRIBUTOR),
            ("Tom", "Hughes", "brightwater-pharma", MembershipRole.CONTRIBUTOR),
            ("Sanjay", "Patel", "eastvale-nhs", MembershipRole.CONTRIBUTOR),
            ("Eleanor", "Price", "university-of-northbridge", MembershipRole.VIEWER),
        ],
        "demo_member": None,
        "work_packages": [
            (1, "Analytical validation of the ctDNA assay", ["helix-diagnostics"]),
            (2, "Concordance with tissue NGS in NHS pathways", ["eastvale-nhs"]),
            (
                3,
                "Regulatory and health-technology submission",
                ["helix-diagnostics", "brightwater-pharma"],
            ),
        ],
        "biomarkers": [
            (
                "EGFR exon 19 deletion / L858R",
                Biomarker.Kind.GENOMIC,
                "EGFR-mutant NSCLC eligible for EGFR tyrosine-kinase inhibitors",
                "Helix ctDNA NGS panel",
                "helix-diagnostics",
                Biomarker.Stage.CLINICAL_VALIDATION,
                Biomarker.RegulatoryStatus.IVD_IN_DEVELOPMENT,
            ),
            (
                "KRAS G12C",
                Biomarker.Kind.GENOMIC,
                "KRAS G12C-mutant NSCLC eligible for G12C inhibitors",
                "Helix ctDNA NGS panel",
                "helix-diagnostics",
                Biomarker.Stage.ANALYTICAL_VALIDATION,
                Biomarker.RegulatoryStatus.RUO,
            ),
            (
                "PD-L1 tumour proportion score ≥50%",
                Biomarker.Kind.PROTEOMIC,
                "High PD-L1 NSCLC for first-line immunotherapy",
                "22C3 immunohistochemistry",
                None,
                Biomarker.Stage.ROUTINE_USE,
                Biomarker.RegulatoryStatus.FDA_CLEARED,
            ),
        ],
    },
]

PROPOSAL = {
    "slug": "pso-response",
    "acronym": "PSO-RESPONSE",
    "title": "Predicting biologic response in moderate-to-severe psoriasis",
    "summary": (
        "A proposed consortium to predict response to IL-17 and IL-23 biologics in psoriasis "
        "from skin transcriptomics and serum proteomics."
    ),
    "areas": ["psoriasis"],
    "lead": "brightwater-pharma",
    "proposer": ("Tom", "Hughes"),
}


def _organisation(slug: str) -> Organisation:
    name, kind, country, domain = ORGANISATIONS[slug]
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": kind,
            "country": country,
            "website": f"https://www.{domain}/",
            "status": OrganisationStatus.APPROVED,
            "status_changed_at": timezone.now(),
        },
    )
    return organisation


def _person(first: str, last: str, organisation_slug: str):
    """The organisations demo's person (same e-mail rule), affiliated if not yet."""
    domain = ORGANISATIONS[organisation_slug][3]
    email = f"{first}.{last}".lower().replace(" ", "").replace("'", "") + f"@{domain}"
    user = demo_user(email, first, last)
    organisation = _organisation(organisation_slug)
    if not Affiliation.objects.current().filter(user=user, organisation=organisation).exists():
        Affiliation.objects.create(
            user=user, organisation=organisation, role=AffiliationRole.MEMBER
        )
    return user, organisation


def _areas(slugs) -> list[DiseaseArea]:
    return list(DiseaseArea.objects.filter(slug__in=slugs))


def _project(spec: dict, status: str, proposer=None) -> Project:
    project, _ = Project.objects.get_or_create(
        slug=spec["slug"],
        defaults={
            "acronym": spec["acronym"],
            "title": spec["title"],
            "summary": spec["summary"],
            "status": status,
            "start_date": spec.get("start"),
            "end_date": spec.get("end"),
            "summary_visibility": spec.get("visibility", SummaryVisibility.PUBLIC),
            "rec_reference": spec.get("rec", ""),
            "iras_id": spec.get("iras", ""),
            "consortium_agreement_signed_on": spec.get("agreement"),
            "proposed_by": proposer,
        },
    )
    project.disease_areas.add(*_areas(spec["areas"]))
    disease_area_names_refresh(project)
    return project


def _partner(project: Project, organisation: Organisation, role: str) -> None:
    Partner.objects.get_or_create(
        project=project,
        organisation=organisation,
        status=PartnerStatus.ACTIVE,
        defaults={"role": role, "joined_on": project.start_date or timezone.localdate()},
    )


def _member(project: Project, user, organisation: Organisation, role: str) -> None:
    ends_on = None
    if role == MembershipRole.OBSERVER:
        ends_on = timezone.localdate() + timedelta(days=180)  # observers are time-limited
    Membership.objects.get_or_create(
        project=project,
        user=user,
        ended_at=None,
        defaults={"organisation": organisation, "role": role, "ends_on": ends_on},
    )


def _work(project: Project, spec: dict, by_slug: dict) -> None:
    for number, title, lead_slugs in spec["work_packages"]:
        work_package, created = WorkPackage.objects.get_or_create(
            project=project, number=number, defaults={"title": title}
        )
        if created:
            work_package.lead_organisations.set([by_slug[slug] for slug in lead_slugs])
    for name, kind, stratum, assay, partner_slug, stage, regulatory in spec["biomarkers"]:
        Biomarker.objects.get_or_create(
            project=project,
            name=name,
            defaults={
                "kind": kind,
                "stratum": stratum,
                "assay": assay,
                "diagnostic_partner": by_slug.get(partner_slug),
                "development_stage": stage,
                "regulatory_status": regulatory,
            },
        )


def _consortium(spec: dict) -> Project:
    project = _project(spec, ProjectStatus.ACTIVE)
    by_slug = {slug: _organisation(slug) for slug, _ in spec["partners"]}
    for slug, role in spec["partners"]:
        _partner(project, by_slug[slug], role)
    for slug, reference in spec["funders"]:
        ProjectFunder.objects.get_or_create(
            project=project, organisation=_organisation(slug), grant_reference=reference
        )
    for first, last, slug, role in spec["members"]:
        user, organisation = _person(first, last, slug)
        _member(project, user, organisation, role)
    if spec["demo_member"]:
        slug, role = spec["demo_member"]
        demo = demo_user("demo@stratum.test", "Dana", "Demo")
        organisation = _organisation(slug)
        if not Affiliation.objects.current().filter(user=demo, organisation=organisation).exists():
            Affiliation.objects.create(user=demo, organisation=organisation)
        _member(project, demo, organisation, role)
    _work(project, spec, by_slug)
    return project


def _proposal() -> Project:
    proposer, organisation = _person(*PROPOSAL["proposer"], PROPOSAL["lead"])
    project = _project(PROPOSAL, ProjectStatus.PROPOSED, proposer=proposer)
    _partner(project, organisation, PartnerRole.LEAD)
    _member(project, proposer, organisation, MembershipRole.COORDINATOR)
    return project


def seed(stdout) -> None:
    projects = [_consortium(spec) for spec in CONSORTIA]
    _proposal()
    stdout.write(
        f"Projects: {', '.join(p.acronym for p in projects)} active; "
        f"{PROPOSAL['acronym']} awaiting activation; demo@stratum.test is in RESPIRA."
    )
