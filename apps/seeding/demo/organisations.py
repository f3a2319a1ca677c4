"""Demo organisations of every kind, each with an admin and a member. Idempotent."""

from datetime import date

from django.utils import timezone

from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    DsptStatus,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
    OrganisationStatus,
)
from apps.seeding.demo.accounts import demo_user

# name, slug, kind, country, ROR ID, ODS code, domain, admin (first, last), member (first, last)
DEMO_ORGANISATIONS = [
    (
        "Brightwater Pharma",
        "brightwater-pharma",
        OrganisationKind.PHARMA,
        "GB",
        "",
        "",
        "brightwater-pharma.test",
        ("Priya", "Shah"),
        ("Tom", "Hughes"),
    ),
    (
        "Helix Diagnostics",
        "helix-diagnostics",
        OrganisationKind.DIAGNOSTICS,
        "DE",
        "",
        "",
        "helix-dx.test",
        ("Jonas", "Weber"),
        ("Lena", "Fischer"),
    ),
    (
        "University of Northbridge",
        "university-of-northbridge",
        OrganisationKind.UNIVERSITY,
        "GB",
        "",
        "",
        "northbridge.ac.test",
        ("Eleanor", "Price"),
        ("Kwame", "Mensah"),
    ),
    (
        "Rheinau University Medical Centre",
        "rheinau-university",
        OrganisationKind.UNIVERSITY,
        "DE",
        "",
        "",
        "uni-rheinau.test",
        ("Anna", "Becker"),
        ("Felix", "Wolf"),
    ),
    (
        "Eastvale NHS Foundation Trust",
        "eastvale-nhs",
        OrganisationKind.NHS,
        "GB",
        "",
        "RXX",
        "eastvale-nhs.test",
        ("Grace", "O'Neill"),
        ("Sanjay", "Patel"),
    ),
    (
        "Medicines and Devices Regulatory Agency",
        "mdra",
        OrganisationKind.REGULATOR,
        "GB",
        "",
        "",
        "mdra.test",
        ("Helen", "Carter"),
        ("David", "Okafor"),
    ),
    (
        "Translational Research Fund",
        "translational-research-fund",
        OrganisationKind.FUNDER,
        "GB",
        "",
        "",
        "trfund.test",
        ("Rachel", "Green"),
        ("Ben", "Adams"),
    ),
    (
        "Northern Health Informatics Programme",
        "northern-health-informatics",
        OrganisationKind.HEALTH_INFORMATICS,
        "GB",
        "",
        "",
        "nhip.test",
        ("Owen", "Jones"),
        ("Chloe", "Evans"),
    ),
    (
        "Centre for Health Economics Modelling",
        "health-economics-modelling",
        OrganisationKind.HEALTH_ECONOMICS,
        "NL",
        "",
        "",
        "chem-econ.test",
        ("Maarten", "de Vries"),
        ("Sofie", "Jansen"),
    ),
    (
        "Breathe Easy Patient Alliance",
        "breathe-easy",
        OrganisationKind.CHARITY,
        "GB",
        "",
        "",
        "breathe-easy.test",
        ("Margaret", "Wilson"),
        ("Liam", "Murphy"),
    ),
]
# Health-data holders show their Data Security and Protection Toolkit status.
DSPT = {
    "eastvale-nhs": (DsptStatus.EXCEEDED, date(2026, 6, 30)),
    "northern-health-informatics": (DsptStatus.MET, date(2026, 6, 30)),
}
DEMO_MEMBER_OF = "university-of-northbridge"


def _organisation(row) -> Organisation:
    name, slug, kind, country, ror_id, ods_code, domain, *_people = row
    dspt_status, dspt_date = DSPT.get(slug, ("", None))
    organisation, _ = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": kind,
            "country": country,
            "ror_id": ror_id,
            "ods_code": ods_code,
            "website": f"https://www.{domain}/",
            "status": OrganisationStatus.APPROVED,
            "status_changed_at": timezone.now(),
            "dspt_status": dspt_status,
            "dspt_date": dspt_date,
            "description": f"Demo {OrganisationKind(kind).label.lower()} for the Stratum demo.",
        },
    )
    OrganisationDomain.objects.get_or_create(domain=domain, defaults={"organisation": organisation})
    return organisation


def _affiliate(user, organisation, role) -> None:
    affiliation = Affiliation.objects.current().filter(user=user, organisation=organisation).first()
    if affiliation is None:
        Affiliation.objects.create(user=user, organisation=organisation, role=role)


def seed(stdout) -> None:
    for row in DEMO_ORGANISATIONS:
        organisation = _organisation(row)
        domain, admin, member = row[6], row[7], row[8]
        for (first, last), role in (
            (admin, AffiliationRole.ADMIN),
            (member, AffiliationRole.MEMBER),
        ):
            email = f"{first}.{last}".lower().replace(" ", "").replace("'", "") + f"@{domain}"
            _affiliate(demo_user(email, first, last), organisation, role)
    demo = demo_user("demo@stratum.test", "Dana", "Demo", job_title="Translational scientist")
    _affiliate(demo, Organisation.objects.get(slug=DEMO_MEMBER_OF), AffiliationRole.MEMBER)
    stdout.write(f"Organisations: {len(DEMO_ORGANISATIONS)} demo organisations with their people.")
