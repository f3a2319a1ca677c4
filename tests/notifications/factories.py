import factory

from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.notifications.models import EventType, Notification
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import ProjectFactory


class DatasetFactory(factory.django.DjangoModelFactory):
    """A published dataset; the datasets app owns the real factory, this one is enough here."""

    class Meta:
        model = Dataset

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Sputum transcriptomics cohort {n}")
    steward_organisation = factory.SubFactory(OrganisationFactory)
    access_tier = AccessTier.CONTROLLED
    status = DatasetStatus.PUBLISHED


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    event_type = EventType.PROTOCOL_VERSION
    subject = factory.Sequence(lambda n: f"Protocol version {n} approved")
    body = "A new version is available."
    url = "/projects/"
