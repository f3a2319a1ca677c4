"""A project's partners, members and biomarkers: the writes the site offers, nested under
the project (`/projects/{id}/partners/`, `/members/`, `/biomarkers/`), through the same
services and the same policy. They are shown inside the project's representation, so a
syncing partner sees them change as a project upsert in the change feed.

Coordinator writes lock the project and honour `If-Match` with the project's ETag (412 when it
changed since it was read). An invisible project or part is a 404; a visible one the caller
may not change is a 403.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.access.policy import Action, can, get_for_user, visible
from apps.api.serializers.project_parts import (
    BiomarkerInput,
    MemberAddInput,
    MemberChangeInput,
    PartnerInviteInput,
    ReasonOptionalInput,
)
from apps.api.serializers.projects import BiomarkerOutput, MemberOutput, PartnerOutput
from apps.api.views.base import UUID_PATTERN, problems
from apps.organisations.models import Organisation
from apps.projects.models import Biomarker, Membership, Partner
from apps.projects.services import (
    biomarker_create,
    biomarker_delete,
    biomarker_update,
    membership_add,
    membership_change_role,
    membership_end,
    partner_accept,
    partner_decline,
    partner_invite,
    partner_leave,
)


def _part_parameter(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.UUID,
        location=OpenApiParameter.PATH,
        description=f"The {what}'s id (as in the project's representation).",
    )


PARTNER_ID = _part_parameter("partner_id", "partner")
MEMBERSHIP_ID = _part_parameter("membership_id", "membership")
BIOMARKER_ID = _part_parameter("biomarker_id", "biomarker")
IF_MATCH_PROJECT = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The project's ETag as you read it; 412 and no change when the project "
    "changed since.",
)
WRITE_PROBLEMS = problems(400, 403, 404, 412, 413, 415)
ANSWER_PROBLEMS = problems(400, 403, 404)


def _part_path(collection: str, group: str, suffix: str = "") -> str:
    return rf"{collection}/(?P<{group}>{UUID_PATTERN}){suffix}"


def _organisation(user, pk, field: str) -> Organisation | None:
    if pk is None:
        return None
    found = visible(user, Organisation.objects.filter(pk=pk)).first()
    if found is None:
        raise ValidationError({field: "No organisation has this id."})
    return found


def _person(data: dict):
    people = get_user_model().objects.filter(is_active=True)
    if data.get("user"):
        person, field = people.filter(pk=data["user"]).first(), "user"
    else:
        person, field = people.filter(email__iexact=data["email"]).first(), "email"
    if person is None:
        raise ValidationError({field: "No active person has this id or address."})
    return person


def _echo(rows):
    # A write answers with the row it has just written, to the person who wrote it (who may,
    # having left, no longer see it through the policy).
    return rows.system("the API echoes the row its caller has just written")


class ProjectPartsMixin:
    # Nested writes for ProjectViewSet (which provides `locked_object` and `validated_input`);
    # a comment, not a docstring, so the schema does not show it as each operation's text.

    def _respond(self, output_class, row, status_code=status.HTTP_200_OK) -> Response:
        return Response(output_class(row, context=self.get_serializer_context()).data, status_code)

    def _write(self, func, output_class, refetch, status_code=status.HTTP_200_OK) -> Response:
        with transaction.atomic():
            row = func()
        return self._respond(output_class, _echo(refetch).get(pk=row.pk), status_code)

    # --- partners ------------------------------------------------------------------------------
    @extend_schema(
        summary="Invite an organisation to the project (coordinators)",
        description="Its admins are told and one of them accepts or declines.",
        request=PartnerInviteInput,
        parameters=[IF_MATCH_PROJECT],
        responses={201: PartnerOutput, **WRITE_PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path="partners")
    def invite_partner(self, request, *args, **kwargs):
        def write():
            project = self.locked_object(Action.MANAGE)
            data = self.validated_input(PartnerInviteInput)
            organisation = _organisation(request.user, data["organisation"], "organisation")
            return partner_invite(
                actor=request.user,
                project=project,
                organisation=organisation,
                role=data["role"],
                request=request,
            )

        refetch = Partner.objects.select_related("organisation")
        return self._write(write, PartnerOutput, refetch, status.HTTP_201_CREATED)

    def _answer(self, service, partner_id):
        def write():
            partners = Partner.objects.filter(project_id=self.kwargs["id"])
            partner = get_for_user(self.request.user, partners, pk=partner_id)
            if not can(self.request.user, Action.MANAGE, partner):
                raise PermissionDenied("Only an admin of the invited organisation answers.")
            return service(actor=self.request.user, partner=partner, request=self.request)

        return self._write(write, PartnerOutput, Partner.objects.select_related("organisation"))

    @extend_schema(
        summary="Accept an invitation (an admin of the invited organisation)",
        request=None,
        parameters=[PARTNER_ID],
        responses={200: PartnerOutput, **ANSWER_PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path=_part_path("partners", "partner_id", "/accept"))
    def accept_partner(self, request, *args, **kwargs):
        return self._answer(partner_accept, kwargs["partner_id"])

    @extend_schema(
        summary="Decline an invitation (an admin of the invited organisation)",
        request=None,
        parameters=[PARTNER_ID],
        responses={200: PartnerOutput, **ANSWER_PROBLEMS},
    )
    @action(
        detail=True, methods=["post"], url_path=_part_path("partners", "partner_id", "/decline")
    )
    def decline_partner(self, request, *args, **kwargs):
        return self._answer(partner_decline, kwargs["partner_id"])

    @extend_schema(
        summary="Remove a partner or withdraw its invitation (coordinators), or take your "
        "organisation out (its admins)",
        description="Every current membership through the organisation ends too. The lead "
        "organisation, or one carrying the last coordinators, cannot leave (400).",
        request=ReasonOptionalInput,
        parameters=[PARTNER_ID],
        responses={200: PartnerOutput, **problems(400, 403, 404, 413, 415)},
    )
    @action(detail=True, methods=["post"], url_path=_part_path("partners", "partner_id", "/remove"))
    def remove_partner(self, request, *args, **kwargs):
        def write():
            partners = Partner.objects.filter(project_id=kwargs["id"]).select_related("project")
            partner = get_for_user(request.user, partners, pk=kwargs["partner_id"])
            allowed = can(request.user, Action.MANAGE, partner) or can(
                request.user, Action.MANAGE, partner.project
            )
            if not allowed:
                raise PermissionDenied("Only coordinators or the organisation's admins do this.")
            reason = self.validated_input(ReasonOptionalInput).get("reason", "")
            return partner_leave(
                actor=request.user, partner=partner, reason=reason, request=request
            )

        return self._write(write, PartnerOutput, Partner.objects.select_related("organisation"))

    # --- members -------------------------------------------------------------------------------
    @extend_schema(
        summary="Add a person from an active partner organisation (coordinators)",
        request=MemberAddInput,
        parameters=[IF_MATCH_PROJECT],
        responses={201: MemberOutput, **WRITE_PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request, *args, **kwargs):
        def write():
            project = self.locked_object(Action.MANAGE)
            data = self.validated_input(MemberAddInput)
            return membership_add(
                actor=request.user,
                project=project,
                user=_person(data),
                organisation=_organisation(request.user, data["organisation"], "organisation"),
                role=data["role"],
                ends_on=data.get("ends_on"),
                request=request,
            )

        refetch = Membership.objects.select_related("user")
        return self._write(write, MemberOutput, refetch, status.HTTP_201_CREATED)

    def _current_membership(self, project, membership_id) -> Membership:
        memberships = Membership.objects.filter(project=project, ended_at__isnull=True)
        return get_for_user(self.request.user, memberships, pk=membership_id)

    @extend_schema(
        summary="Change a member's role or end date (coordinators)",
        request=MemberChangeInput,
        parameters=[MEMBERSHIP_ID, IF_MATCH_PROJECT],
        responses={200: MemberOutput, **WRITE_PROBLEMS},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=_part_path("members", "membership_id"),
    )
    def change_member(self, request, *args, **kwargs):
        def write():
            project = self.locked_object(Action.MANAGE)
            membership = self._current_membership(project, kwargs["membership_id"])
            data = self.validated_input(MemberChangeInput)
            return membership_change_role(
                actor=request.user,
                membership=membership,
                role=data["role"],
                ends_on=data.get("ends_on"),
                request=request,
            )

        return self._write(write, MemberOutput, Membership.objects.select_related("user"))

    @extend_schema(
        summary="End a membership now (coordinators, or the member leaving)",
        description="The row is kept for the record; the last coordinator cannot leave (400).",
        request=ReasonOptionalInput,
        parameters=[MEMBERSHIP_ID, IF_MATCH_PROJECT],
        responses={200: MemberOutput, **WRITE_PROBLEMS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=_part_path("members", "membership_id", "/end"),
    )
    def end_member(self, request, *args, **kwargs):
        def write():
            project = self.locked_object(Action.VIEW)
            membership = self._current_membership(project, kwargs["membership_id"])
            if membership.user_id != request.user.pk and not can(
                request.user, Action.MANAGE, project
            ):
                raise PermissionDenied("Only coordinators end other people's memberships.")
            reason = self.validated_input(ReasonOptionalInput).get("reason", "")
            return membership_end(
                actor=request.user, membership=membership, reason=reason, request=request
            )

        return self._write(write, MemberOutput, Membership.objects.select_related("user"))

    # --- biomarkers ----------------------------------------------------------------------------
    def _biomarker_fields(self, data: dict) -> dict:
        fields = dict(data)
        if "diagnostic_partner" in fields:
            fields["diagnostic_partner"] = _organisation(
                self.request.user, fields["diagnostic_partner"], "diagnostic_partner"
            )
        return fields

    @extend_schema(
        summary="Add a biomarker (coordinators)",
        request=BiomarkerInput,
        parameters=[IF_MATCH_PROJECT],
        responses={201: BiomarkerOutput, **WRITE_PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path="biomarkers")
    def add_biomarker(self, request, *args, **kwargs):
        def write():
            project = self.locked_object(Action.MANAGE)
            fields = self._biomarker_fields(self.validated_input(BiomarkerInput))
            return biomarker_create(actor=request.user, project=project, request=request, **fields)

        refetch = Biomarker.objects.all()
        return self._write(write, BiomarkerOutput, refetch, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        summary="Change a biomarker (coordinators)",
        request=BiomarkerInput(partial=True),
        parameters=[BIOMARKER_ID, IF_MATCH_PROJECT],
        responses={200: BiomarkerOutput, **WRITE_PROBLEMS},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Delete a biomarker (coordinators)",
        request=None,
        parameters=[BIOMARKER_ID, IF_MATCH_PROJECT],
        responses={204: None, **problems(400, 403, 404, 412)},
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=_part_path("biomarkers", "biomarker_id"),
    )
    def biomarker(self, request, *args, **kwargs):
        with transaction.atomic():
            project = self.locked_object(Action.MANAGE)
            biomarkers = Biomarker.objects.filter(project=project)
            biomarker = get_for_user(request.user, biomarkers, pk=kwargs["biomarker_id"])
            if request.method == "DELETE":
                biomarker_delete(actor=request.user, biomarker=biomarker, request=request)
                return Response(status=status.HTTP_204_NO_CONTENT)
            data = self.validated_input(BiomarkerInput, partial=True)
            biomarker = biomarker_update(
                actor=request.user,
                biomarker=biomarker,
                request=request,
                **self._biomarker_fields(data),
            )
        return self._respond(BiomarkerOutput, _echo(Biomarker.objects).get(pk=biomarker.pk))
