"""Upload forms (multipart). The body is read by `apps.api.views.uploads`, which streams it;
these describe the form in the schema."""

from rest_framework import serializers


class FileUploadInput(serializers.Serializer):
    """A file upload as a multipart form."""

    file = serializers.FileField(help_text="The file (up to the upload limit).")
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text="Your SHA-256 of the file (hex); a mismatch is a 400 and nothing is stored.",
    )


class VersionUploadInput(FileUploadInput):
    change_note = serializers.CharField(max_length=5000, help_text="What changed in this version.")


class MultipartUploadStartInput(serializers.Serializer):
    """Announce a file to upload straight to object storage in parts."""

    dataset = serializers.UUIDField(help_text="The dataset the file belongs to.")
    file_name = serializers.CharField(max_length=1000)
    size = serializers.IntegerField(min_value=1, help_text="The file's size in bytes.")
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        help_text="The file's SHA-256 (hex). The server checks it before the file appears.",
    )


class StoredPartOutput(serializers.Serializer):
    number = serializers.IntegerField()
    size = serializers.IntegerField()
    etag = serializers.CharField()


class MultipartUploadOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    dataset = serializers.UUIDField(source="dataset_id")
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    part_size = serializers.IntegerField(help_text="Every part but the last has this size.")
    part_count = serializers.IntegerField()
    status = serializers.CharField(
        help_text="`open` takes parts; `verifying`: the server is checking the SHA-256 of a "
        "completed large file (poll this upload); `completed`: see `file`; `aborted`: see "
        "`error` (empty when the upload was abandoned or swept).",
    )
    parts = StoredPartOutput(
        many=True, help_text="Parts the bucket already holds: a resumed upload skips them."
    )
    file = serializers.CharField(
        source="file_url", allow_null=True, help_text="The stored file, once `completed`."
    )
    error = serializers.CharField(help_text="Why the completed file was refused, if it was.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PartUrlOutput(serializers.Serializer):
    number = serializers.IntegerField()
    url = serializers.CharField(help_text="PUT the part's bytes here, before `expires_at`.")
    expires_at = serializers.DateTimeField()
