"""`/api/v1/analyses/` and `/api/v1/analysis-versions/`: read through the policy, files
downloaded through the same check as the site (404 unless allowed). Registered on the API
router from the kind's declaration (`apps/analyses/kind.py`), not by hand."""

from collections import defaultdict

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view

from apps.access.policy import visible
from apps.analyses import services
from apps.analyses.api.serializers import AnalysisOutput, AnalysisVersionOutput
from apps.analyses.models import Analysis, AnalysisCategory, AnalysisVersion
from apps.api.filters import item_filter, version_filter
from apps.api.views.base import ResourceViewSet, problems, retrieve_schema
from apps.api.views.items import DownloadMixin, part_schema
from apps.datasets.models import Dataset
from apps.documents.models import ProtocolVersion


class AnalysisFilter(item_filter(Analysis)):
    category = django_filters.ChoiceFilter(choices=AnalysisCategory.choices)

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


AnalysisVersionFilter = version_filter(AnalysisVersion)


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


@part_schema(AnalysisVersionOutput, plural="analysis versions", one="an analysis version")
class AnalysisVersionViewSet(DownloadMixin, ResourceViewSet):
    model = AnalysisVersion
    output_serializer = AnalysisVersionOutput
    filterset_class = AnalysisVersionFilter
    http_method_names = ["get", "head", "options"]
    writes = services.WRITES

    def extra_context(self, objects) -> dict:
        if not objects:
            return {}
        user = self.request.user
        return {
            "cited_datasets": _cited(user, objects, "datasets", Dataset),
            "cited_protocol_versions": _cited(user, objects, "protocol_versions", ProtocolVersion),
        }
