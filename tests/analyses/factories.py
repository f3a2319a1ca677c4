import hashlib

import factory
from django.core.files.base import ContentFile

from apps.analyses.models import Analysis, AnalysisCategory, AnalysisVersion
from apps.core.models import AccessTier
from tests.projects.factories import ProjectFactory


class AnalysisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Analysis
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Eosinophil cut-off derivation {n}")
    description = "Derives the blood eosinophil cut-off that defines the T2-high stratum."
    category = AnalysisCategory.NOTEBOOK
    access_tier = AccessTier.CONSORTIUM

    @factory.post_generation
    def allowed_organisations(self, create, extracted, **kwargs):
        if create and extracted:
            self.allowed_organisations.set(extracted)


class AnalysisVersionFactory(factory.django.DjangoModelFactory):
    """A stored version; pass `content=b"..."` to choose the bytes (checksum and size follow)."""

    class Meta:
        model = AnalysisVersion

    class Params:
        content = factory.LazyAttribute(lambda o: f"# analysis, version {o.number}\n".encode())

    analysis = factory.SubFactory(AnalysisFactory)
    number = factory.LazyAttribute(
        lambda o: (
            (o.analysis.versions.order_by("-number").values_list("number", flat=True).first() or 0)
            + 1
        )
    )
    status = AnalysisVersion.Status.APPROVED
    change_note = factory.LazyAttribute(lambda o: f"Version {o.number}.")
    file_name = factory.LazyAttribute(lambda o: f"analysis-v{o.number}.py")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.file_name))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size = factory.LazyAttribute(lambda o: len(o.content))
    content_type = "text/plain"
