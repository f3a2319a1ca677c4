import datetime

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from apps.access.policy import Action, condition, visible_prefetch
from apps.access.policy.project_parts import partnered_by_q
from apps.api.filters import SinceFilter, SyncFilterSet, search_filter, uuid_filter
from apps.api.serializers.projects import ProjectOutput
from apps.api.views.base import (
    ETAG_HEADER,
    IF_MATCH,
    ResourceViewSet,
    ids_where,
    problems,
    retrieve_schema,
)
from apps.api.views.project_parts import ProjectPartsMixin
from apps.diseases.models import DiseaseArea
from apps.projects.models import (
    Biomarker,
    Membership,
    Partner,
    Project,
    ProjectStatus,
    SummaryVisibility,
)
from apps.projects.services.projects import project_update


class ProjectSinceFilter(SinceFilter):
    """A project shows its partners, members and biomarkers to those who may read it whole,
    so for them one whose parts changed since then has changed too. (A deleted biomarker
    leaves no row: only the change feed has it.) Those who see only the public card are
    matched on the card's own clock: a members-only project's hidden activity must not tell
    outsiders when it is active (issue #15, channel 7)."""

    def filter(self, qs, value):
        if value is None:
            return qs
        try:
            since = value.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise ValidationError({"updated_since": ["This time is out of range."]}) from None
        # Subqueries, not joins: a join would repeat projects and break keyset paging.
        changed = Q(updated_at__gte=since)
        for part in (Partner, Membership, Biomarker):
            changed |= Q(id__in=part.objects.filter(updated_at__gte=since).values("project_id"))
        details = condition(self.parent.request.user, Project, Action.VIEW_DETAILS)
        return qs.filter(Q(card_updated_at__gte=since) | (details & changed))


class ProjectFilter(SyncFilterSet):
    updated_since = ProjectSinceFilter(
        field_name="updated_at",
        help_text="Only projects changed at or after this ISO 8601 time (their partners, "
        "members and biomarkers included), e.g. 2026-11-26T09:00:00Z.",
    )
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    disease_area = uuid_filter("disease_areas", "Projects tagged with this disease area.")
    organisation = django_filters.UUIDFilter(
        method="filter_organisation",
        help_text="Projects where this organisation is an active partner, as far as you may "
        "know: on a members-only project whose details you may not see, only its lead counts.",
    )
    search = search_filter("Matches the title or acronym.")
    search_fields = ("title", "acronym")

    class Meta:
        model = Project
        fields = ["status", "disease_area", "organisation", "updated_since", "search"]

    def filter_organisation(self, queryset, name, value):
        # The catalogue's rule (one EXISTS, no join: a join would repeat projects and break
        # keyset paging): a partnership the caller may not see matches nothing.
        return queryset.filter(partnered_by_q(self.request.user, Q(organisation_id=value)))


class ProjectUpdateInput(serializers.Serializer):
    """Coordinator-editable fields (PATCH: any subset)."""

    title = serializers.CharField(max_length=300)
    acronym = serializers.CharField(max_length=40)
    summary = serializers.CharField(max_length=20000)
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    summary_visibility = serializers.ChoiceField(choices=SummaryVisibility.choices)
    rec_reference = serializers.CharField(allow_blank=True, max_length=40)
    iras_id = serializers.CharField(allow_blank=True, max_length=20)
    disease_areas = serializers.ListField(child=serializers.UUIDField(), max_length=100)


@extend_schema_view(
    list=extend_schema(
        summary="List projects",
        description="Live projects for everyone (members-only ones as a card without summary "
        "or people), plus your own proposed or closed ones.",
        responses={200: ProjectOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema(
        "Get a project with its partners, members and biomarkers", ProjectOutput
    ),
    partial_update=extend_schema(
        summary="Update a project (coordinators)",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=ProjectUpdateInput,
        responses={200: ProjectOutput, **problems(400, 403, 404, 412, 413, 415)},
    ),
)
class ProjectViewSet(ProjectPartsMixin, ResourceViewSet):
    model = Project
    output_serializer = ProjectOutput
    filterset_class = ProjectFilter
    # Keyset order on the public card's clock: the cursor carries the last row's key, and a
    # members-only project's real updated_at would tell card-only callers of hidden activity.
    sync_field = "card_updated_at"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def base_queryset(self):
        user = self.request.user
        return Project.objects.prefetch_related(
            "disease_areas",
            visible_prefetch(user, "partners", Partner.objects.select_related("organisation")),
            visible_prefetch(user, "biomarkers", Biomarker.objects.all()),
            visible_prefetch(
                user,
                "memberships",
                Membership.objects.current().select_related("user"),
                to_attr="current_memberships",
            ),
        )

    def extra_context(self, objects) -> dict:
        return {
            "details_ids": ids_where(self.request.user, Project, objects, Action.VIEW_DETAILS),
            "signed_in": self.request.user.is_authenticated,
        }

    def partial_update(self, request, *args, **kwargs):
        def write():
            project = self.locked_object(Action.EDIT)
            data = dict(self.validated_input(ProjectUpdateInput, partial=True))
            areas = data.pop("disease_areas", None)
            if areas is not None:
                areas = list(DiseaseArea.objects.filter(pk__in=areas))
            return project_update(
                actor=request.user, project=project, disease_areas=areas, request=request, **data
            )

        return self.run_write(write)
