import factory
from django.utils import timezone
from django.utils.text import slugify

from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
)
from tests.accounts.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = OrganisationKind.UNIVERSITY
    country = "GB"
    status = OrganisationStatus.APPROVED
    status_changed_at = factory.LazyFunction(timezone.now)


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = AffiliationRole.MEMBER
