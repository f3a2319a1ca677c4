"""Deliverables: list and detail through the access policy, and the writes the site offers
(coordinators create; editors change; the review steps as on the deliverable page), each
through `apps.milestones.services`."""

import django_filters
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from apps.access.policy import Action, can, visible
from apps.api.filters import SyncFilterSet, search_filter, uuid_filter
from apps.api.serializers.deliverables import (
    DeliverableCreateInput,
    DeliverableFieldsInput,
    DeliverableOutput,
    DeliverableStatusInput,
)
from apps.api.views.base import (
    ETAG_HEADER,
    IF_MATCH,
    ResourceViewSet,
    problems,
    retrieve_schema,
)
from apps.core.kinds import evidence_parts
from apps.milestones import services
from apps.milestones.models import Deliverable
from apps.milestones.selectors import deliverable_cited
from apps.organisations.models import Organisation
from apps.projects.models import Project, WorkPackage

S = Deliverable.Status


class DeliverableFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=S.choices)
    dissemination = django_filters.ChoiceFilter(choices=Deliverable.Dissemination.choices)
    project = uuid_filter("project_id", "Deliverables of this project.")
    organisation = uuid_filter("lead_organisation_id", "Deliverables this organisation leads.")
    work_package = uuid_filter("work_package_id", "Deliverables of this work package.")
    search = search_filter("Matches the code, title or summary.")
    search_fields = ("code", "title", "summary")

    class Meta:
        model = Deliverable
        fields = [
            "status",
            "dissemination",
            "project",
            "organisation",
            "work_package",
            "updated_since",
        ]


# --- Turning ids in the body into rows --------------------------------------------------------
def _one(queryset, pk, field: str, message: str):
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: message})
    return found


def _many(queryset, pks, field: str, message: str) -> list:
    wanted = set(pks)
    found = list(queryset.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: message})
    return found


def _check_code_free(project, code: str | None, exclude_pk=None) -> None:
    """Codes are unique in a project regardless of case, as the site's form checks."""
    if not code:
        return
    deliverables = Deliverable.objects.system(
        "a code is unique in its project whatever the writer sees; the writer edits the project"
    )
    clash = deliverables.filter(project=project, code__iexact=code).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": f"{code} is already used in this project."})


def _service_fields(user, project, data: dict) -> dict:
    """Validated input → the service's keyword arguments (rows instead of ids). The service
    checks the rest: same project, active partner, current members, approver ≠ author."""
    people = get_user_model().objects.filter(is_active=True)
    fields = dict(data)
    if "work_package" in fields:
        fields["work_package"] = _one(
            visible(user, WorkPackage.objects.filter(project=project)),
            fields["work_package"],
            "work_package",
            "Choose a work package of this project.",
        )
    if "lead_organisation" in fields:
        fields["lead_organisation"] = _one(
            Organisation.objects.all(),
            fields["lead_organisation"],
            "lead_organisation",
            "No organisation has this id.",
        )
    for role in ("author", "reviewer", "approver"):
        if role in fields:
            fields[role] = _one(people, fields[role], role, "Choose a current project member.")
    for part in evidence_parts():
        if part.evidence in fields:
            fields[part.evidence] = _many(
                _citable(user, part, project),
                fields[part.evidence],
                part.evidence,
                f"Link only {part.evidence.replace('_', ' ')} of this project.",
            )
    return fields


def _citable(user, part, project):
    """The project's rows of an evidence part that `user` may see."""
    model = django_apps.get_model(part.model)
    rows = model.objects.filter(**{part.project_path: project})
    parent = part.parent_fk.removesuffix("_id")
    return visible(user, rows.select_related(parent) if parent else rows)


_LINK_IDS = "linked ids, narrowed to the visible ones by extra_context through the policy"


DELIVERABLE_WRITE = {200: DeliverableOutput, **problems(400, 403, 404, 412, 413, 415)}


@extend_schema_view(
    list=extend_schema(
        summary="List deliverables",
        description="Consortium and public ones for the project's consortium, restricted ones "
        "for its members, and approved public ones of live public projects for everyone.",
        responses={200: DeliverableOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get a deliverable", DeliverableOutput),
    create=extend_schema(
        summary="Add a deliverable to a project (coordinators)",
        request=DeliverableCreateInput,
        responses={201: DeliverableOutput, **problems(400, 403, 413, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a deliverable (coordinators, its author, the lead organisation's "
        "editors); approved or submitted ones must be returned to preparation first",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=DeliverableFieldsInput,
        responses=DELIVERABLE_WRITE,
    ),
    status=extend_schema(
        summary="Move a deliverable through its review (start, review, approve, submit, return)",
        request=DeliverableStatusInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses=DELIVERABLE_WRITE,
    ),
)
class DeliverableViewSet(ResourceViewSet):
    model = Deliverable
    output_serializer = DeliverableOutput
    filterset_class = DeliverableFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def base_queryset(self):
        return Deliverable.objects.select_related(
            "author", "reviewer", "approver"
        ).prefetch_related(
            # Every link's id only: `extra_context` keeps those the caller may see.
            *(
                Prefetch(
                    part.evidence,
                    queryset=django_apps.get_model(part.model).objects.system(_LINK_IDS).only("id"),
                )
                for part in evidence_parts()
            )
        )

    def extra_context(self, objects) -> dict:
        """The linked evidence (datasets, protocol and analysis versions) the caller may see,
        by field: one query per shared kind's citable part."""
        user, pks = self.request.user, [obj.pk for obj in objects]
        return {
            "visible_evidence": {
                part.evidence: set(
                    deliverable_cited(user, pks, part).order_by().values_list("pk", flat=True)
                )
                if objects
                else set()
                for part in evidence_parts()
            }
        }

    def create(self, request, *args, **kwargs):
        def write():
            data = dict(self.validated_input(DeliverableCreateInput))
            project = _one(
                visible(request.user, Project.objects.all()),
                data.pop("project"),
                "project",
                "No project you may see has this id.",
            )
            if not can(request.user, Action.MANAGE, project):
                raise PermissionDenied("Only the project's coordinators add deliverables.")
            _check_code_free(project, data.get("code"))
            fields = _service_fields(request.user, project, data)
            return services.deliverable_create(
                project=project, actor=request.user, request=request, **fields
            )

        return self.run_write(write, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        def write():
            deliverable = self.locked_object(Action.EDIT)
            data = self.validated_input(DeliverableFieldsInput, partial=True)
            _check_code_free(deliverable.project, data.get("code"), exclude_pk=deliverable.pk)
            fields = _service_fields(request.user, deliverable.project, data)
            return services.deliverable_update(
                deliverable=deliverable, actor=request.user, request=request, **fields
            )

        return self.run_write(write)

    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request, *args, **kwargs):
        def write():
            deliverable = self.locked_object(Action.VIEW)
            data = self.validated_input(DeliverableStatusInput)
            service, kwargs = self._transition(deliverable, data)
            return service(deliverable=deliverable, actor=request.user, request=request, **kwargs)

        return self.run_write(write)

    def _transition(self, deliverable, data):
        """The service for the requested step, after the same permission check as the site's
        buttons (403 when the caller may see the deliverable but not take this step)."""
        user, to_status = self.request.user, data["to_status"]
        if to_status == S.IN_PREPARATION and deliverable.status != S.PLANNED:
            allowed = (
                services.may_approve(user, deliverable)
                or can(user, Action.MANAGE, deliverable)
                or deliverable.reviewer_id == user.pk
            )
            step, kwargs = services.deliverable_return, {"reason": data.get("reason", "")}
        elif to_status == S.APPROVED:
            allowed = services.may_approve(user, deliverable)
            step, kwargs = services.deliverable_approve, {}
        elif to_status == S.SUBMITTED:
            allowed = can(user, Action.MANAGE, deliverable)
            step, kwargs = services.deliverable_submit, {}
        else:
            allowed = can(user, Action.EDIT, deliverable)
            step = {
                S.IN_PREPARATION: services.deliverable_start,
                S.IN_REVIEW: services.deliverable_request_review,
            }[to_status]
            kwargs = {}
        if not allowed:
            raise PermissionDenied("You may not take this step for this deliverable.")
        return step, kwargs
