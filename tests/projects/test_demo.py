import io

import pytest

from apps.projects.models import Membership, Partner, Project, ProjectStatus
from apps.seeding.demo import projects as demo

pytestmark = pytest.mark.django_db


def test_demo_builds_three_consortia_and_a_proposal_idempotently():
    demo.seed(io.StringIO())
    counts = (Project.objects.count(), Partner.objects.count(), Membership.objects.count())
    demo.seed(io.StringIO())
    assert (Project.objects.count(), Partner.objects.count(), Membership.objects.count()) == counts
    assert set(
        Project.objects.filter(status=ProjectStatus.ACTIVE).values_list("acronym", flat=True)
    ) == {
        "RESPIRA",
        "SYNOVIA",
        "PRECISE-LUNG",
    }
    assert Membership.objects.filter(
        user__email="demo@stratum.test", project__slug="respira"
    ).exists()
    respira = Project.objects.get(slug="respira")
    assert respira.disease_area_names == "Chronic obstructive pulmonary disease, Severe asthma"
    assert respira.biomarkers.count() == 3 and respira.work_packages.count() == 4


def test_demo_runs_after_the_organisations_demo():
    from apps.seeding.demo import accounts as accounts_demo
    from apps.seeding.demo import organisations as organisations_demo

    out = io.StringIO()
    accounts_demo.seed(out)
    organisations_demo.seed(out)
    demo.seed(out)
    lead = Partner.objects.get(project__slug="precise-lung", role="lead")
    assert lead.organisation.slug == "helix-diagnostics"
