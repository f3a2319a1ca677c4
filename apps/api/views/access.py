"""Access requests (create, submit, withdraw; decide for committee members) and grants.
Every transition is the access services' (apps/access/services): the view only parses."""

import django_filters
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action

from apps.access.models import AccessGrant, AccessRequest, GrantStatus, RequestStatus
from apps.access.policy import Action, visible
from apps.access.services import requests as request_services
from apps.api.filters import SyncFilterSet, uuid_filter
from apps.api.serializers.access import (
    AccessGrantOutput,
    AccessRequestCreateInput,
    AccessRequestOutput,
    DecisionInput,
    WithdrawInput,
)
from apps.api.views.base import (
    ETAG_HEADER,
    IF_MATCH,
    ResourceViewSet,
    ids_where,
    problems,
    retrieve_schema,
)
from apps.datasets.models import Dataset
from apps.diseases.models import DiseaseArea
from apps.organisations.models import Organisation


class AccessRequestFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    dataset = uuid_filter("dataset_id", "Requests for this dataset.")
    project = uuid_filter("dataset__project_id", "Requests for this project's datasets.")
    organisation = uuid_filter("organisation_id", "Requests made through this organisation.")

    class Meta:
        model = AccessRequest
        fields = ["status", "dataset", "project", "organisation", "updated_since"]


WRITE_PROBLEMS = problems(400, 403, 404, 409, 412, 413, 415)


@extend_schema_view(
    list=extend_schema(
        summary="List access requests",
        description="Your own requests, and those your committee seats or steward role show you.",
        responses={200: AccessRequestOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get an access request", AccessRequestOutput),
    create=extend_schema(
        summary="File an access request (a draft, or submitted with `submit: true`)",
        request=AccessRequestCreateInput,
        responses={201: AccessRequestOutput, **problems(400, 403, 409, 413, 415)},
    ),
    submit=extend_schema(
        summary="Submit a draft or returned request (runs the automatic check)",
        request=None,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: AccessRequestOutput, **WRITE_PROBLEMS},
    ),
    withdraw=extend_schema(
        summary="Withdraw your open request",
        request=WithdrawInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: AccessRequestOutput, **WRITE_PROBLEMS},
    ),
    decide=extend_schema(
        summary="Decide a request in review (non-conflicted committee members)",
        request=DecisionInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: AccessRequestOutput, **WRITE_PROBLEMS},
    ),
)
class AccessRequestViewSet(ResourceViewSet):
    model = AccessRequest
    output_serializer = AccessRequestOutput
    filterset_class = AccessRequestFilter
    http_method_names = ["get", "post", "head", "options"]
    select = ("requester", "organisation", "policy")
    prefetch = ("diseases", "policy__conditions__term")

    def extra_context(self, objects) -> dict:
        user = self.request.user
        return {"purpose_ids": ids_where(user, AccessRequest, objects, Action.VIEW_PURPOSE)}

    def create(self, request, *args, **kwargs):
        def write():
            data = dict(self.validated_input(AccessRequestCreateInput))
            submit = data.pop("submit")
            dataset = self._requestable_dataset(data.pop("dataset"))
            organisation = Organisation.objects.filter(pk=data.pop("organisation")).first()
            if organisation is None:
                raise ValidationError({"organisation": "Choose an organisation you belong to."})
            if "diseases" in data:
                data["diseases"] = self._diseases(data["diseases"])
            created = request_services.access_request_create(
                dataset=dataset,
                requester=request.user,
                organisation=organisation,
                data=data,
                request=request,
            )
            if submit:
                created = request_services.access_request_submit(
                    access_request=created, actor=request.user, request=request
                )
            return created

        return self.run_write(write, status_code=status.HTTP_201_CREATED)

    def _requestable_dataset(self, pk) -> Dataset:
        queryset = Dataset.objects.filter(pk=pk)
        dataset = visible(self.request.user, queryset, Action.REQUEST_ACCESS).first()
        if dataset is None:
            raise ValidationError(
                {
                    "dataset": "No controlled dataset you may request (without an open request "
                    "of yours) has this id."
                }
            )
        return dataset

    @staticmethod
    def _diseases(pks) -> list:
        found = list(DiseaseArea.objects.filter(pk__in=set(pks)))
        if len(found) != len(set(pks)):
            raise ValidationError({"diseases": "Some of these disease areas do not exist."})
        return found

    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        def write():
            access_request = self.locked_object(Action.VIEW)
            return request_services.access_request_submit(
                access_request=access_request,
                actor=request.user,
                # The data use agreement version the caller accepts, where the dataset has one.
                agreement_version=request.data.get("agreement_version"),
                request=request,
            )

        return self.run_write(write)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, *args, **kwargs):
        def write():
            access_request = self.locked_object(Action.VIEW)
            reason = self.validated_input(WithdrawInput).get("reason", "")
            return request_services.access_request_withdraw(
                access_request=access_request, actor=request.user, reason=reason, request=request
            )

        return self.run_write(write)

    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs):
        def write():
            access_request = self.locked_object(Action.VIEW)
            data = self.validated_input(DecisionInput)
            common = {"access_request": access_request, "actor": request.user, "request": request}
            reason = data.get("reason", "")
            if data["decision"] == "approve":
                return request_services.access_request_approve(
                    **common, approved_until=data.get("approved_until"), reason=reason
                )
            if data["decision"] == "reject":
                return request_services.access_request_reject(**common, reason=reason)
            return request_services.access_request_return(**common, reason=reason)

        return self.run_write(write)


class AccessGrantFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=GrantStatus.choices)
    dataset = uuid_filter("dataset_id", "Grants for this dataset.")
    project = uuid_filter("dataset__project_id", "Grants for this project's datasets.")
    organisation = uuid_filter("organisation_id", "Grants that came through this organisation.")

    class Meta:
        model = AccessGrant
        fields = ["status", "dataset", "project", "organisation", "updated_since"]


@extend_schema_view(
    list=extend_schema(
        summary="List access grants",
        description="Your grants; coordinators, committee members and steward admins also see "
        "those of their projects and datasets.",
        responses={200: AccessGrantOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get an access grant", AccessGrantOutput),
)
class AccessGrantViewSet(ResourceViewSet):
    model = AccessGrant
    output_serializer = AccessGrantOutput
    filterset_class = AccessGrantFilter
    http_method_names = ["get", "head", "options"]
    select = ("user",)
