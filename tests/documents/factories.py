import hashlib

import factory
from django.core.files.base import ContentFile

from apps.core.models import AccessTier
from apps.documents.models import Protocol, ProtocolVersion
from tests.projects.factories import ProjectFactory


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Sample handling protocol {n}")
    description = "How samples are collected, stored and shipped."
    access_tier = AccessTier.CONSORTIUM


class ProtocolVersionFactory(factory.django.DjangoModelFactory):
    """A stored version; pass `content=b"..."` to choose the bytes (checksum and size follow)."""

    class Meta:
        model = ProtocolVersion

    class Params:
        content = factory.LazyAttribute(lambda o: f"Protocol text, version {o.number}\n".encode())

    protocol = factory.SubFactory(ProtocolFactory)
    number = factory.LazyAttribute(
        lambda o: (
            (o.protocol.versions.order_by("-number").values_list("number", flat=True).first() or 0)
            + 1
        )
    )
    status = ProtocolVersion.Status.DRAFT
    change_note = factory.LazyAttribute(lambda o: f"Version {o.number}.")
    file_name = factory.LazyAttribute(lambda o: f"protocol-v{o.number}.txt")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.file_name))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size = factory.LazyAttribute(lambda o: len(o.content))
    content_type = "text/plain"
