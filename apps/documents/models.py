from django.db import models

from apps.core.shared_items import ItemVersion, SharedItem, project_link


class Protocol(SharedItem):
    url_namespace = "documents"

    project = project_link("protocols")


class ProtocolVersion(ItemVersion):
    item_field = "protocol"

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")

    class Meta:
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "number"], name="documents_protocolversion_number_unique"
            ),
        ]
