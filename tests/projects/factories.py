import datetime

import factory
from django.utils.text import slugify

from apps.diseases.models import DiseaseArea
from apps.projects.models import (
    Biomarker,
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    ProjectStatus,
    WorkPackage,
)
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory


class DiseaseAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiseaseArea
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Disease area {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    icd10_codes = ["J45"]


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"Stratification consortium {n}")
    acronym = factory.Sequence(lambda n: f"SC{n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.acronym))
    summary = "Finding the patients who respond."
    status = ProjectStatus.ACTIVE
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2029, 12, 31)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = PartnerRole.PARTNER
    status = PartnerStatus.ACTIVE
    joined_on = datetime.date(2026, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = MembershipRole.CONTRIBUTOR


class WorkPackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkPackage

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Work package {n}")


class BiomarkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Biomarker

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Biomarker {n}")
    kind = Biomarker.Kind.PROTEOMIC
    stratum = "Patients with high blood eosinophils."
