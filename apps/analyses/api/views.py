"""`/api/v1/analyses/` and `/api/v1/analysis-versions/`: read through the policy, files
downloaded through the same check as the site (404 unless allowed). Registered on the API
router from the kind's declaration (`apps/analyses/kind.py`), not by hand."""

from collections import defaultdict

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer

from apps.access.policy import Action, visible
from apps.analyses import services
from apps.analyses.api.serializers import AnalysisOutput, AnalysisVersionOutput
from apps.analyses.models import Analysis, AnalysisCategory, AnalysisVersion
from apps.api.filters import SyncFilterSet, search_filter, uuid_filter
from apps.api.views.base import ResourceViewSet, problems, retrieve_schema
from apps.api.views.items import DOWNLOAD_RESPONSES, AnyFileRenderer, api_file_response
from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion


class AnalysisFilter(SyncFilterSet):
    project = uuid_filter("project_id", "Analyses of this project.")
    access_tier = django_filters.ChoiceFilter(choices=AccessTier.choices)
    category = django_filters.ChoiceFilter(choices=AnalysisCategory.choices)
    search = search_filter("Matches the title or description.")
    search_fields = ("title", "description")

    class Meta:
        model = Analysis
        fields = ["project", "access_tier", "category", "updated_since"]


@extend_schema_view(
    list=extend_schema(
        summary="List analyses", responses={200: AnalysisOutput(many=True), **problems(400)}
    ),
    retrieve=retrieve_schema("Get an analysis", AnalysisOutput),
)
class AnalysisViewSet(ResourceViewSet):
    model = Analysis
    output_serializer = AnalysisOutput
    filterset_class = AnalysisFilter
    http_method_names = ["get", "head", "options"]
    prefetch = ("allowed_organisations",)

    def extra_context(self, objects) -> dict:
        if not objects:
            return {"visible_versions": {}}
        versions = AnalysisVersion.objects.filter(analysis_id__in=[obj.pk for obj in objects])
        rows = visible(self.request.user, versions).order_by("-number")
        by_analysis = defaultdict(list)
        for analysis_id, pk in rows.values_list("analysis_id", "pk"):
            by_analysis[analysis_id].append(pk)
        return {"visible_versions": by_analysis}


class AnalysisVersionFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=AnalysisVersion.Status.choices)
    analysis = uuid_filter("analysis_id", "Versions of this analysis.")
    project = uuid_filter("analysis__project_id", "Versions of this project's analyses.")
    search = search_filter("Matches the change note or file name.")
    search_fields = ("change_note", "file_name")

    class Meta:
        model = AnalysisVersion
        fields = ["status", "analysis", "project", "updated_since"]


def _cited(user, objects, field: str, model) -> dict:
    """{version id: ids of its cited `field` rows that `user` may see}: one query for the
    links, one through the policy for the cited rows."""
    through = AnalysisVersion._meta.get_field(field).remote_field.through
    target = f"{model._meta.model_name}_id"
    links = list(
        through.objects.filter(analysisversion_id__in=[obj.pk for obj in objects]).values_list(
            "analysisversion_id", target
        )
    )
    seen = set(
        visible(user, model.objects.filter(pk__in={pk for _v, pk in links})).values_list(
            "pk", flat=True
        )
    )
    cited = defaultdict(list)
    for version_id, pk in links:
        if pk in seen:
            cited[version_id].append(pk)
    return cited


@extend_schema_view(
    list=extend_schema(
        summary="List analysis versions",
        responses={200: AnalysisVersionOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get an analysis version", AnalysisVersionOutput),
    download=extend_schema(summary="Download an analysis version", responses=DOWNLOAD_RESPONSES),
)
class AnalysisVersionViewSet(ResourceViewSet):
    model = AnalysisVersion
    output_serializer = AnalysisVersionOutput
    filterset_class = AnalysisVersionFilter
    http_method_names = ["get", "head", "options"]

    def extra_context(self, objects) -> dict:
        if not objects:
            return {}
        user = self.request.user
        return {
            "cited_datasets": _cited(user, objects, "datasets", Dataset),
            "cited_protocol_versions": _cited(user, objects, "protocol_versions", ProtocolVersion),
        }

    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyFileRenderer])
    def download(self, request, *args, **kwargs):
        versions = AnalysisVersion.objects.select_related("analysis").filter(pk=kwargs["id"])
        version = visible(request.user, versions, Action.DOWNLOAD).first()
        if version is None:
            raise Http404
        services.analysis_version_record_download(
            version=version, actor=request.user, request=request
        )
        return api_file_response(version)
