"""The shared kinds' items, files and versions (datasets, protocols; analyses add theirs in
`apps.analyses.api`): the fields every kind's items and versions have are declared once,
in `ItemOutput` and `VersionOutput`."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.access.selectors import dataset_access_panel
from apps.api.serializers.common import (
    BASE_FIELDS,
    ResourceOutput,
    api_url,
    prefetched,
    text_timestamp,
    timestamp,
    uuid_text,
)
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile
from apps.documents.models import Protocol, ProtocolVersion

FILE_FIELDS = ("file_name", "sha256", "size", "content_type")


# What every shared kind's item shows (subclasses name its fields in `Meta`). Comments, not
# docstrings, on these bases: drf-spectacular would publish a docstring as each subclass's.
class ItemOutput(ResourceOutput):
    project = serializers.UUIDField(source="project_id")
    allowed_organisations = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_allowed_organisations(self, obj):
        return [
            organisation.pk
            for organisation in prefetched(
                obj, "allowed_organisations", "allowed_organisation_list"
            )
        ]


def version_fields(item_field: str) -> tuple[str, ...]:
    """A version's fields in their order (the kind's own come before `download_url`)."""
    return (
        *BASE_FIELDS,
        item_field,
        "number",
        "status",
        "change_note",
        *FILE_FIELDS,
        "approved_at",
    )


# What every shared kind's version shows (subclasses add the link to their item, named as
# the item's kind, and `Meta.fields` from `version_fields`).
class VersionOutput(ResourceOutput):
    approved_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str:
        return api_url(self.context, self.api_basename, obj.pk) + "download/"


class DatasetFileOutput(ResourceOutput):
    api_basename = "dataset-file"
    dataset = serializers.UUIDField(source="dataset_id")
    download_url = serializers.SerializerMethodField(
        help_text="GET it with the same credentials; 404 unless you may download."
    )

    class Meta:
        model = DatasetFile
        fields = (*BASE_FIELDS, "dataset", *FILE_FIELDS, "download_url")

    def get_download_url(self, obj) -> str:
        return api_url(self.context, self.api_basename, obj.pk) + "download/"

    def to_representation(self, obj) -> dict:
        """The fields above, built directly: a full sync renders hundreds of files a page and
        DRF's per-field machinery was most of the time. Same keys, order and values as the
        declared fields (tests/api/test_perf_serialisation.py compares the two)."""
        return self.represent(obj, timezone.get_current_timezone())

    def represent(self, obj, zone) -> dict:
        url = api_url(self.context, self.api_basename, obj.pk)
        return {
            "id": str(obj.pk),
            "url": url,
            "created_at": timestamp(obj.created_at, zone),
            "updated_at": timestamp(obj.updated_at, zone),
            "dataset": uuid_text(obj.dataset_id),
            "file_name": obj.file_name,
            "sha256": obj.sha256,
            "size": obj.size,
            "content_type": obj.content_type,
            "download_url": url + "download/",
        }


class DatasetOutput(ItemOutput):
    api_basename = "dataset"
    steward_organisation = serializers.UUIDField(source="steward_organisation_id")
    files = DatasetFileOutput(many=True, read_only=True)
    can_download = serializers.SerializerMethodField(
        help_text="Whether the caller may download this dataset's files."
    )

    class Meta:
        model = Dataset
        fields = (
            *BASE_FIELDS,
            "project",
            "title",
            "description",
            "steward_organisation",
            "access_tier",
            "allowed_organisations",
            "status",
            "published_at",
            "requires_steward_approval",
            "files",
            "can_download",
        )

    def get_can_download(self, obj) -> bool:
        return obj.pk in self.context.get("downloadable_ids", set())

    def to_representation(self, obj) -> dict:
        """The declared fields, built directly (see `DatasetFileOutput.to_representation`)."""
        zone = timezone.get_current_timezone()
        # A bare file serializer sharing the context: `self.fields` would introspect the model
        # for every declared field, which costs more than a page of rows.
        files = getattr(self, "_file_output", None)
        if files is None:
            files = self._file_output = DatasetFileOutput(context=self.context)
        return {
            "id": str(obj.pk),
            "url": api_url(self.context, self.api_basename, obj.pk),
            "created_at": timestamp(obj.created_at, zone),
            "updated_at": timestamp(obj.updated_at, zone),
            "project": uuid_text(obj.project_id),
            "title": obj.title,
            "description": obj.description,
            "steward_organisation": uuid_text(obj.steward_organisation_id),
            "access_tier": obj.access_tier,
            "allowed_organisations": self.get_allowed_organisations(obj),
            "status": obj.status,
            "published_at": timestamp(obj.published_at, zone),
            "requires_steward_approval": obj.requires_steward_approval,
            "files": [
                files.represent(file, zone) for file in prefetched(obj, "files", "file_list")
            ],
            "can_download": self.get_can_download(obj),
        }


class AccessConditionOutput(serializers.Serializer):
    term = serializers.CharField(help_text="The DUO shorthand, e.g. DS.")
    name = serializers.CharField(help_text="The term in words.")
    value = serializers.CharField(
        help_text="Its value in words: disease areas with ICD-10 codes, people and "
        "organisations by name, '12 months', dates as dates; empty when the term has none."
    )


class YourAccessOutput(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["no_access", "in_review", "granted", "ended"],
        help_text="Where you stand: no access yet; a request in review; access granted; "
        "access expired, revoked or suspended.",
    )
    summary = serializers.CharField(help_text="One sentence, as the dataset page shows it.")
    detail = serializers.CharField(help_text="Why, or what happens next; may be empty.")
    request = serializers.UUIDField(
        allow_null=True, help_text="Your open request, or your last closed one."
    )
    request_status = serializers.CharField(allow_null=True)
    request_status_display = serializers.CharField(allow_null=True)
    grant = serializers.UUIDField(allow_null=True, help_text="Your live or last grant.")
    valid_until = serializers.DateTimeField(allow_null=True)
    renewal = serializers.UUIDField(
        allow_null=True, help_text="Your open request renewing the live grant."
    )
    can_request = serializers.BooleanField(help_text="Whether you may file a request now.")
    conditions = AccessConditionOutput(many=True)


def your_access(user, dataset, zone) -> dict | None:
    panel = dataset_access_panel(user, dataset)
    if panel is None:
        return None
    request, grant = panel.request, panel.grant
    return {
        "state": panel.state,
        "summary": panel.headline,
        "detail": panel.detail,
        "request": uuid_text(request.pk) if request else None,
        "request_status": request.status if request else None,
        "request_status_display": request.get_status_display() if request else None,
        "grant": uuid_text(grant.pk) if grant else None,
        "valid_until": timestamp(panel.valid_until, zone),
        "renewal": uuid_text(panel.renewal.pk) if panel.renewal else None,
        "can_request": panel.can_request,
        "conditions": [
            {
                "term": line.shorthand,
                "name": line.label[:1].upper() + line.label[1:],
                "value": line.value,
            }
            for line in panel.conditions
        ],
    }


class DatasetDetailOutput(DatasetOutput):
    """One dataset, with where the caller stands on it (`your_access`)."""

    your_access = serializers.SerializerMethodField(
        help_text="Controlled datasets only (null otherwise): your access as the dataset page "
        "shows it, so partner systems can show the same."
    )

    class Meta(DatasetOutput.Meta):
        fields = (*DatasetOutput.Meta.fields, "your_access")

    @extend_schema_field(YourAccessOutput(allow_null=True))
    def get_your_access(self, obj):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return your_access(user, obj, timezone.get_current_timezone())

    def to_representation(self, obj) -> dict:
        data = super().to_representation(obj)
        data["your_access"] = self.get_your_access(obj)
        return data


def dataset_rows_output(
    rows, *, files: dict, organisations: dict, download_column: str, context
) -> list[dict]:
    """`DatasetOutput` of list rows read by `apps.api.rows` (text ids and timestamps), without
    model instances: same keys, order and values (tests/api/test_perf_serialisation.py)."""
    zone = timezone.get_current_timezone()
    output = []
    for row in rows:
        created, updated = _row_times(row, zone)
        output.append(
            {
                "id": row.key,
                "url": api_url(context, DatasetOutput.api_basename, row.key),
                "created_at": created,
                "updated_at": updated,
                "project": row.project_key,
                "title": row.title,
                "description": row.description,
                "steward_organisation": row.steward_key,
                "access_tier": row.access_tier,
                "allowed_organisations": organisations.get(row.key, []),
                "status": row.status,
                "published_at": text_timestamp(row.published, zone),
                "requires_steward_approval": row.requires_steward_approval,
                "files": [file_row_output(file, context, zone) for file in files.get(row.key, ())],
                "can_download": bool(getattr(row, download_column)),
            }
        )
    return output


def _row_times(row, zone) -> tuple[str | None, str | None]:
    """A row's created and updated times as written; a row never changed since it was made
    has the same time twice (most files, many datasets), written once."""
    created = text_timestamp(row.created, zone)
    if row.updated == row.created:
        return created, created
    return created, text_timestamp(row.updated, zone)


def file_row_output(row, context, zone) -> dict:
    """`DatasetFileOutput` of a file row read by `apps.api.rows`."""
    url = api_url(context, DatasetFileOutput.api_basename, row.key)
    created, updated = _row_times(row, zone)
    return {
        "id": row.key,
        "url": url,
        "created_at": created,
        "updated_at": updated,
        "dataset": row.dataset_key,
        "file_name": row.file_name,
        "sha256": row.sha256,
        "size": row.size,
        "content_type": row.content_type,
        "download_url": url + "download/",
    }


class ItemInputMixin(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    access_tier = serializers.ChoiceField(choices=AccessTier.choices, required=False)
    allowed_organisations = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=200
    )


class DatasetCreateInput(ItemInputMixin):
    project = serializers.UUIDField(help_text="A project where you may contribute.")
    steward_organisation = serializers.UUIDField(
        help_text="An active partner organisation of the project."
    )


class DatasetUpdateInput(ItemInputMixin):
    steward_organisation = serializers.UUIDField(required=False)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Why (kept in the audit log).")


class ProtocolVersionOutput(VersionOutput):
    api_basename = "protocol-version"
    protocol = serializers.UUIDField(source="protocol_id")

    class Meta:
        model = ProtocolVersion
        fields = (*version_fields("protocol"), "download_url")


class ProtocolOutput(ItemOutput):
    api_basename = "protocol"
    versions = serializers.SerializerMethodField(
        help_text="The versions you may see, newest first (drafts only for editors)."
    )

    class Meta:
        model = Protocol
        fields = (
            *BASE_FIELDS,
            "project",
            "title",
            "description",
            "access_tier",
            "allowed_organisations",
            "versions",
        )

    @extend_schema_field(ProtocolVersionOutput(many=True))
    def get_versions(self, obj):
        visible_ids = self.context.get("visible_version_ids", set())
        rows = [version for version in obj.versions.all() if version.pk in visible_ids]
        return ProtocolVersionOutput(rows, many=True, context=self.context).data


class ProtocolCreateInput(ItemInputMixin):
    project = serializers.UUIDField(help_text="A project where you may contribute.")


class ProtocolUpdateInput(ItemInputMixin):
    pass
