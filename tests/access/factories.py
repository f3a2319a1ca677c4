"""Access factories: committees, seats, requests and grants. Datasets come from the datasets
engineer's factories (`tests/datasets/factories.py`)."""

import datetime

import factory
from django.utils import timezone

from apps.access.models import (
    AccessGrant,
    AccessRequest,
    CommitteeMember,
    DataAccessCommittee,
    GrantStatus,
    RequestStatus,
)
from apps.core.models import AccessTier
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import OrganisationFactory


class ControlledDatasetFactory(DatasetFactory):
    access_tier = AccessTier.CONTROLLED


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataAccessCommittee
        django_get_or_create = ("project",)

    project = factory.SubFactory("tests.projects.factories.ProjectFactory")
    name = factory.LazyAttribute(lambda o: f"{o.project.acronym} data access committee")


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    committee = factory.SubFactory(CommitteeFactory)
    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest

    dataset = factory.SubFactory(ControlledDatasetFactory)
    requester = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    status = RequestStatus.DRAFT
    purpose = "Validate the sputum eosinophil signature in an independent cohort."


class AccessGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessGrant

    request = factory.SubFactory(
        AccessRequestFactory,
        status=RequestStatus.APPROVED,
        decided_at=factory.LazyFunction(timezone.now),
    )
    dataset = factory.LazyAttribute(lambda o: o.request.dataset)
    user = factory.LazyAttribute(lambda o: o.request.requester)
    organisation = factory.LazyAttribute(lambda o: o.request.organisation)
    status = GrantStatus.ACTIVE
    valid_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=1))
    valid_until = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=180))
