"""Shared file-record fields: every stored upload keeps its checksum, size and sniffed type."""

from django.db import models


def protected_upload_to(instance, filename: str) -> str:
    # The stored name is the row's id, never the client's name: no traversal, no collisions.
    return f"protected/{instance._meta.label_lower}/{instance.pk}"


class StoredFileFields(models.Model):
    file = models.FileField(upload_to=protected_upload_to, max_length=300)
    file_name = models.CharField(max_length=255, help_text="Sanitised original name.")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        abstract = True
