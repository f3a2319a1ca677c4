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
