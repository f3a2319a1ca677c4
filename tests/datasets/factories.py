import hashlib

import factory
from django.core.files.base import ContentFile
from django.db.models import Case, When
from django.utils import timezone

from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile, DatasetStatus
from apps.projects.models import PartnerRole
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import ProjectFactory


def _default_steward(project):
    partner = (
        project.partners.select_related("organisation")
        .order_by(Case(When(role=PartnerRole.LEAD, then=0), default=1), "joined_on")
        .first()
    )
    return partner.organisation if partner else OrganisationFactory()


class DatasetFactory(factory.django.DjangoModelFactory):
    """A published consortium dataset; the steward defaults to the project's lead partner."""

    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Cohort sputum transcriptomics {n}")
    description = "Baseline samples from the stratified cohort."
    steward_organisation = factory.LazyAttribute(lambda o: _default_steward(o.project))
    access_tier = AccessTier.CONSORTIUM
    status = DatasetStatus.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def allowed_organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.allowed_organisations.set(extracted)


class DatasetFileFactory(factory.django.DjangoModelFactory):
    """A stored file; pass `content=b"..."` to choose the bytes (checksum and size follow)."""

    class Meta:
        model = DatasetFile

    class Params:
        content = b"sample_id,fev1\nS001,2.31\nS002,1.87\n"

    dataset = factory.SubFactory(DatasetFactory)
    file_name = factory.Sequence(lambda n: f"measurements-{n}.csv")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.file_name))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size = factory.LazyAttribute(lambda o: len(o.content))
    content_type = "text/csv"
