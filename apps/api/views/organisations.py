import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view

from apps.access.policy import Action
from apps.api.filters import SyncFilterSet, search_filter
from apps.api.serializers.organisations import (
    DiseaseAreaOutput,
    OrganisationOutput,
    OrganisationUpdateInput,
)
from apps.api.views.base import (
    ETAG_HEADER,
    IF_MATCH,
    ResourceViewSet,
    problems,
    retrieve_schema,
)
from apps.diseases.models import DiseaseArea
from apps.organisations.models import Organisation, OrganisationKind, OrganisationStatus
from apps.organisations.services.organisations import organisation_update


class OrganisationFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=OrganisationStatus.choices)
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    search = search_filter("Matches the name or slug.")
    search_fields = ("name", "slug")

    class Meta:
        model = Organisation
        fields = ["status", "kind", "updated_since", "search"]


@extend_schema_view(
    list=extend_schema(
        summary="List organisations",
        description="Approved organisations, plus your own and (for staff) every one.",
        responses={200: OrganisationOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get an organisation", OrganisationOutput),
    partial_update=extend_schema(
        summary="Update an organisation's profile",
        description="Organisation admins and staff. Send the ETag you read as `If-Match`.",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=OrganisationUpdateInput,
        responses={200: OrganisationOutput, **problems(400, 403, 404, 412, 413, 415)},
    ),
)
class OrganisationViewSet(ResourceViewSet):
    model = Organisation
    output_serializer = OrganisationOutput
    filterset_class = OrganisationFilter
    http_method_names = ["get", "patch", "head", "options"]

    def partial_update(self, request, *args, **kwargs):
        def write():
            organisation = self.locked_object(Action.MANAGE)
            data = self.validated_input(OrganisationUpdateInput, partial=True)
            return organisation_update(
                organisation=organisation, actor=request.user, data=data, request=request
            )

        return self.run_write(write)


class DiseaseAreaFilter(SyncFilterSet):
    search = search_filter("Matches the name or description.")
    search_fields = ("name", "description")

    class Meta:
        model = DiseaseArea
        fields = ["updated_since", "search"]


@extend_schema_view(
    list=extend_schema(
        summary="List disease areas",
        responses={200: DiseaseAreaOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get a disease area", DiseaseAreaOutput),
)
class DiseaseAreaViewSet(ResourceViewSet):
    model = DiseaseArea
    output_serializer = DiseaseAreaOutput
    filterset_class = DiseaseAreaFilter
    http_method_names = ["get", "head", "options"]
