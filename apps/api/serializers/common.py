"""Pieces every resource uses: the problem body, the resource base, user references."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.CharField(help_text="A URI naming the problem type; about:blank here.")
    title = serializers.CharField(help_text="Short summary of the problem type.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong with this request.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="For 400: messages per field name (`non_field_errors` for the whole body).",
    )


def api_url(context, basename: str, pk) -> str:
    path = reverse(f"api:{basename}-detail", kwargs={"id": pk})
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


class ResourceOutput(serializers.ModelSerializer):
    """Every resource: its UUID, its API URL and the sync timestamps."""

    url = serializers.SerializerMethodField(help_text="This resource's API URL.")

    api_basename: str = ""

    def get_url(self, obj) -> str:
        return api_url(self.context, self.api_basename, obj.pk)


class UserRef(serializers.Serializer):
    """A person as other people see them: their name, never their e-mail address."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_name(self, user) -> str:
        return f"{user.first_name} {user.last_name}".strip() or "(no name given)"


BASE_FIELDS = ("id", "url", "created_at", "updated_at")
