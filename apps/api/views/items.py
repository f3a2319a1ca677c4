"""Datasets, protocols, their files and versions: metadata, writes through the domain
services, and downloads through the same policy check as the site (404 unless allowed)."""

from functools import partial

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from apps.access.policy import Action, can, visible
from apps.access.policy.items import (
    FILES_OF_VISIBLE_DATASETS,
    dataset_download_among_visible_q,
)
from apps.api.compiled_pages import sync_page
from apps.api.filters import SyncFilterSet, item_filter, search_filter, uuid_filter, version_filter
from apps.api.renderers import RenderedJSON, dumps, plain_json
from apps.api.rows import dataset_rows, files_by_dataset, organisations_by_dataset, page_key
from apps.api.serializers.items import (
    DatasetCreateInput,
    DatasetDetailOutput,
    DatasetFileOutput,
    DatasetOutput,
    DatasetUpdateInput,
    ProtocolCreateInput,
    ProtocolOutput,
    ProtocolUpdateInput,
    ProtocolVersionOutput,
    ReasonInput,
    dataset_rows_output,
)
from apps.api.serializers.uploads import FileUploadInput, VersionUploadInput
from apps.api.views.base import (
    ETAG_HEADER,
    IF_MATCH,
    ResourceViewSet,
    allowed_column,
    etag_for,
    ids_where,
    problems,
    retrieve_schema,
)
from apps.api.views.uploads import (
    RAW_PARAMETERS,
    UPLOAD_PARSERS,
    received_upload,
    store_with,
    upload_problems,
    upload_request_body,
)
from apps.core.uploads import protected_file_response, use_streaming_uploads
from apps.datasets import services as dataset_services
from apps.datasets.models import Dataset, DatasetFile, DatasetStatus
from apps.documents import services as protocol_services
from apps.documents.models import Protocol, ProtocolVersion
from apps.items import services as item_services
from apps.organisations.models import Organisation
from apps.projects.models import Project
from apps.projects.page_cache import catalogue_cached

DOWNLOAD_MEDIA_TYPE = "application/octet-stream"


class AnyFileRenderer(BaseRenderer):
    """Lets a download negotiate any Accept header; the body is a FileResponse, never
    rendered by DRF."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only error bodies reach a renderer (files are FileResponses): render them as JSON.
        return JSONRenderer().render(data, "application/json", renderer_context)


UPLOAD_DESCRIPTION = (
    "Send `multipart/form-data` with a `file` part, or the file itself as the body (any other "
    '`Content-Type`) named by `Content-Disposition: attachment; filename="…"` or the '
    "`filename` parameter. The content decides the type (the name's extension must match); "
    "refused types answer 415, files over the limit 413. An optional SHA-256 (`sha256`, or "
    "`Content-Digest`/`Digest` for a raw body) is compared with what arrived: a mismatch is a "
    "400 and nothing is stored."
)

DOWNLOAD_RESPONSES = {
    (200, DOWNLOAD_MEDIA_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The file's bytes, as an attachment, always `application/octet-stream` "
        "(the file's own media type is the `content_type` of its record). `ETag` is its "
        "SHA-256 in quotes; `Digest` and `Repr-Digest` carry the same checksum.",
    ),
    **problems(404),
}


def _is_page(data) -> bool:
    return isinstance(data, dict) and "results" in data


def api_file_response(stored):
    """The policy-checked file response, with the one media type the schema declares: a
    client generated from the schema then gets a typed binary answer for every file."""
    response = protected_file_response(stored)
    response["Content-Type"] = DOWNLOAD_MEDIA_TYPE
    return response


# `GET …/{id}/download/` of a file or version: the file when the caller may download it,
# otherwise 404 whether or not it exists; the download is audited before the body is sent.
# (Comments, not docstrings, here: drf-spectacular would publish a docstring.)
class DownloadMixin:
    writes = None  # the kind's ItemWrites (apps.items.services)

    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, AnyFileRenderer])
    def download(self, request, *args, **kwargs):
        rows = self.model.objects.select_related(self.model.item_field).filter(pk=kwargs["id"])
        stored = visible(request.user, rows, Action.DOWNLOAD).first()
        if stored is None:
            raise Http404
        item_services.record_download(
            self.writes, stored=stored, actor=request.user, request=request
        )
        return api_file_response(stored)


def item_write_schemas(output, *, create_input, update_input, created: str, updated: str) -> dict:
    """The schemas of an item's create and partial update (`ItemWritesMixin`), as keyword
    arguments of `extend_schema_view`."""
    return {
        "create": extend_schema(
            summary=created,
            request=create_input,
            responses={201: output, **problems(400, 403, 413, 415)},
        ),
        "partial_update": extend_schema(
            summary=updated,
            parameters=[IF_MATCH, ETAG_HEADER],
            request=update_input,
            responses={200: output, **problems(400, 403, 404, 412, 413, 415)},
        ),
    }


def part_schema(output, *, plural: str, one: str, get: str = "", **more):
    """The schema of a file or version resource: its list, one row and its download
    (`plural`: "protocol versions", `one`: "a protocol version"); `more`: its other actions."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {plural}", responses={200: output(many=True), **problems(400)}
        ),
        retrieve=retrieve_schema(get or f"Get {one}", output),
        download=extend_schema(summary=f"Download {one}", responses=DOWNLOAD_RESPONSES),
        **more,
    )


def _project_for_contribution(user, pk) -> Project:
    project = visible(user, Project.objects.filter(pk=pk), Action.CONTRIBUTE).first()
    if project is None:
        raise ValidationError({"project": "No project you may contribute to has this id."})
    return project


def _organisations(user, pks, field: str) -> list[Organisation]:
    found = list(visible(user, Organisation.objects.filter(pk__in=set(pks))))
    if len(found) != len(set(pks)):
        raise ValidationError({field: "Some of these organisations do not exist."})
    return found


def _item_changes(user, data: dict) -> tuple[dict, list]:
    """Split validated input into service keyword arguments and named organisations."""
    data = dict(data)
    named = _organisations(user, data.pop("allowed_organisations", []), "allowed_organisations")
    if "steward_organisation" in data:
        data["steward_organisation"] = _organisations(
            user, [data["steward_organisation"]], "steward_organisation"
        )[0]
    return data, named


class ItemWritesMixin:
    """Create and update of a dataset or protocol: the same input shape (tier, allowed
    organisations) and the same service signature, so one implementation serves both."""

    # (The docstring is published as the operations' description: the schema keeps it as it
    # was. The services are those of every kind, `apps.items.services`.)
    writes = None  # the kind's ItemWrites
    create_input = update_input = None  # the kind's input serializers

    def create(self, request, *args, **kwargs):
        return self.create_item(self.create_input, partial(item_services.item_create, self.writes))

    def partial_update(self, request, *args, **kwargs):
        update = partial(item_services.item_update, self.writes)
        return self.update_item(self.update_input, update, "item")

    def create_item(self, input_class, service):
        user = self.request.user

        def write():
            data, named = _item_changes(user, self.validated_input(input_class))
            project = _project_for_contribution(user, data.pop("project"))
            return service(
                project=project,
                actor=user,
                allowed_organisations=named,
                request=self.request,
                **data,
            )

        return self.run_write(write, status_code=status.HTTP_201_CREATED)

    def update_item(self, input_class, service, name: str):
        """PATCH: the allowed organisations stay as they are unless the body names them."""
        user = self.request.user

        def write():
            item = self.locked_object(Action.EDIT)
            raw = self.validated_input(input_class, partial=True)
            data, named = _item_changes(user, raw)
            if "allowed_organisations" not in raw:
                named = list(item.allowed_organisations.all())
            return service(
                **{name: item},
                actor=user,
                allowed_organisations=named,
                request=self.request,
                **data,
            )

        return self.run_write(write)

    # --- uploads ---------------------------------------------------------------------------------
    upload_actions: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        # Before authentication: a session caller's CSRF check may read the body, and it must
        # be read through the streaming handler, never into memory.
        self.upload_handler = None
        if self.action in self.upload_actions and request.method == "POST":
            self.upload_handler = use_streaming_uploads(request._request)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        handler = getattr(self, "upload_handler", None)
        if handler is not None:
            handler.upload_interrupted()  # drops a half-received file; no-op otherwise
        return super().finalize_response(request, response, *args, **kwargs)

    def permitted_object(self, action: str):
        """The visible object (404 otherwise), checked for `action` (403), without a lock:
        asked before a long body is read, and again under the lock before storing."""
        obj = visible(self.request.user, self.model._default_manager.all()).filter(
            pk=self.kwargs[self.lookup_field]
        )
        obj = obj.first()
        if obj is None:
            raise Http404
        if not can(self.request.user, action, obj):
            raise PermissionDenied("You may not add files here.")
        return obj

    def receive_and_store(self, action: str, store):
        """Check the caller, read the body, then under the row lock (and `If-Match`) call
        `store(locked_object, upload)`; answer 201 with the new row."""
        self.permitted_object(action)
        upload = received_upload(self.request._request, self.upload_handler)
        try:
            with transaction.atomic():
                created = store(self.locked_object(action), upload)
        finally:
            upload.close()
        return created

    def created_response(self, output_class, obj):
        """201 with the new file or version, its ETag and its URL as `Location`."""
        data = output_class(obj, context=self.get_serializer_context()).data
        return Response(
            data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag_for(data), "Location": data["url"]},
        )


# --- Datasets -----------------------------------------------------------------------------------
class DatasetFilter(item_filter(Dataset)):
    status = django_filters.ChoiceFilter(choices=DatasetStatus.choices)
    organisation = uuid_filter("steward_organisation_id", "Datasets this organisation stewards.")
    disease_area = django_filters.UUIDFilter(
        method="filter_disease_area", help_text="Datasets of projects tagged with this area."
    )

    class Meta:
        model = Dataset
        fields = ["status", "access_tier", "project", "organisation", "updated_since"]

    def filter_disease_area(self, queryset, name, value):
        tagged = Project.disease_areas.through.objects.filter(diseasearea_id=value)
        return queryset.filter(project_id__in=tagged.values("project_id"))


@extend_schema_view(
    list=extend_schema(
        summary="List datasets",
        responses={200: DatasetOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema(
        "Get a dataset with its files, their checksums and your access", DatasetDetailOutput
    ),
    **item_write_schemas(
        DatasetDetailOutput,
        create_input=DatasetCreateInput,
        update_input=DatasetUpdateInput,
        created="Create a draft dataset (contributors of the project)",
        updated="Update a dataset's metadata or tier",
    ),
    upload=extend_schema(
        summary="Upload a file to a dataset (its editors)",
        description=UPLOAD_DESCRIPTION,
        request=upload_request_body(FileUploadInput),
        parameters=[*RAW_PARAMETERS, IF_MATCH],
        responses={201: DatasetFileOutput, **upload_problems(400, 403, 404, 412, 413)},
    ),
    publish=extend_schema(
        summary="Publish a draft dataset",
        request=None,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: DatasetDetailOutput, **problems(400, 403, 404, 412)},
    ),
    retire=extend_schema(
        summary="Retire a dataset",
        request=ReasonInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: DatasetDetailOutput, **problems(400, 403, 404, 412, 413, 415)},
    ),
)
class DatasetViewSet(ItemWritesMixin, ResourceViewSet):
    model = Dataset
    output_serializer = DatasetOutput
    # One dataset (read or written) also says where the caller stands on it; lists do not.
    detail_serializer = DatasetDetailOutput
    filterset_class = DatasetFilter
    row_actions = (Action.DOWNLOAD,)
    http_method_names = ["get", "post", "patch", "head", "options"]
    upload_actions = ("upload",)
    writes = dataset_services.WRITES
    create_input, update_input = DatasetCreateInput, DatasetUpdateInput

    def base_queryset(self):
        # Prefetched into plain lists (`to_attr`): Django builds no manager and no queryset
        # per row, which cost more than the rows' own output (DatasetOutput reads the lists).
        return Dataset.objects.prefetch_related(
            Prefetch("allowed_organisations", to_attr="allowed_organisation_list"),
            Prefetch(
                "files",
                queryset=DatasetFile.objects.system(FILES_OF_VISIBLE_DATASETS).order_by(
                    "file_name", "id"
                ),
                to_attr="file_list",
            ),
        )

    def annotate_row_action(self, queryset, action: str):
        if action != Action.DOWNLOAD:
            return super().annotate_row_action(queryset, action)
        allowed = ExpressionWrapper(
            dataset_download_among_visible_q(self.request.user), output_field=BooleanField()
        )
        return queryset.annotate(**{allowed_column(action): allowed})

    def extra_context(self, objects) -> dict:
        return {"downloadable_ids": ids_where(self.request.user, Dataset, objects, Action.DOWNLOAD)}

    def list(self, request, *args, **kwargs):
        # The list as plain rows (`apps.api.rows`): the same statements and representation
        # as the generic list, without a model instance per dataset, file or organisation.
        # (A comment, not a docstring: drf-spectacular would publish a docstring.)
        # The first page's data is cached under the catalogue version, the caller's standing and
        # the absolute URI (its links carry host and query): `apps.projects.page_cache`.
        def build() -> dict:
            download = allowed_column(Action.DOWNLOAD)
            page = sync_page(
                self,
                lambda: dataset_rows(
                    self.filter_queryset(self.get_queryset()), download_column=download
                ),
            )
            ids = [row.key for row in page]
            data = dataset_rows_output(
                page,
                files=files_by_dataset(ids) if ids else {},
                organisations=organisations_by_dataset(ids) if ids else {},
                download_column=download,
                context=self.get_serializer_context(),
            )
            return self.get_paginated_response(data).data

        if request.query_params.get("cursor"):
            # A page after the first is asked once per walk of the list: kept, a full sync would
            # fill the cache with about 250 KB a page that nobody reads again, at the cost of
            # writing it (and of evicting what is read: facts, fragments, first pages).
            return Response(RenderedJSON(dumps(build())) if plain_json(request) else build())
        uri = request.build_absolute_uri()
        if plain_json(request):
            # What nearly every client asks for: the page's bytes are cached, not its data.
            body = catalogue_cached(
                request.user,
                "api-datasets-json",
                uri,
                lambda: RenderedJSON(dumps(build())),
                lambda value: isinstance(value, RenderedJSON),
            )
            return Response(body)
        data = catalogue_cached(request.user, "api-datasets", uri, build, _is_page)
        return Response(data)

    page_key = staticmethod(page_key)

    @action(detail=True, methods=["post"], url_path="files", parser_classes=UPLOAD_PARSERS)
    def upload(self, request, *args, **kwargs):
        def store(dataset, upload):
            return store_with(
                dataset_services.dataset_file_add,
                upload,
                dataset=dataset,
                actor=request.user,
                request=request,
            )

        return self.created_response(DatasetFileOutput, self.receive_and_store(Action.EDIT, store))

    @action(detail=True, methods=["post"])
    def publish(self, request, *args, **kwargs):
        def write():
            dataset = self.locked_object(Action.EDIT)
            return dataset_services.dataset_publish(
                dataset=dataset, actor=request.user, request=request
            )

        return self.run_write(write)

    @action(detail=True, methods=["post"])
    def retire(self, request, *args, **kwargs):
        def write():
            dataset = self.locked_object(Action.EDIT)
            reason = self.validated_input(ReasonInput)["reason"]
            return dataset_services.dataset_retire(
                dataset=dataset, actor=request.user, reason=reason, request=request
            )

        return self.run_write(write)


class DatasetFileFilter(SyncFilterSet):
    dataset = uuid_filter("dataset_id", "Files of this dataset.")
    project = uuid_filter("dataset__project_id", "Files of this project's datasets.")
    search = search_filter("Matches the file name.")
    search_fields = ("file_name",)

    class Meta:
        model = DatasetFile
        fields = ["dataset", "project", "updated_since"]


@part_schema(
    DatasetFileOutput,
    plural="dataset files",
    one="a dataset file",
    get="Get a dataset file's metadata and SHA-256",
)
class DatasetFileViewSet(DownloadMixin, ResourceViewSet):
    model = DatasetFile
    output_serializer = DatasetFileOutput
    filterset_class = DatasetFileFilter
    http_method_names = ["get", "head", "options"]
    writes = dataset_services.WRITES


# --- Protocols ----------------------------------------------------------------------------------
class ProtocolFilter(item_filter(Protocol)):
    disease_area = django_filters.UUIDFilter(
        method="filter_disease_area", help_text="Protocols of projects tagged with this area."
    )

    class Meta:
        model = Protocol
        fields = ["access_tier", "project", "updated_since"]

    filter_disease_area = DatasetFilter.filter_disease_area


@extend_schema_view(
    list=extend_schema(
        summary="List protocols", responses={200: ProtocolOutput(many=True), **problems(400)}
    ),
    retrieve=retrieve_schema("Get a protocol with its versions", ProtocolOutput),
    **item_write_schemas(
        ProtocolOutput,
        create_input=ProtocolCreateInput,
        update_input=ProtocolUpdateInput,
        created="Create a protocol (contributors of the project)",
        updated="Update a protocol's metadata or tier",
    ),
    upload_version=extend_schema(
        summary="Upload a new draft version of a protocol (contributors of the project)",
        description=UPLOAD_DESCRIPTION
        + " For a raw body, the change note goes in the `change_note` query parameter.",
        request=upload_request_body(VersionUploadInput),
        parameters=[
            *RAW_PARAMETERS,
            OpenApiParameter(
                "change_note",
                OpenApiTypes.STR,
                required=False,
                description="For a raw body: what changed in this version (needed).",
            ),
            IF_MATCH,
        ],
        responses={201: ProtocolVersionOutput, **upload_problems(400, 403, 404, 412, 413)},
    ),
)
class ProtocolViewSet(ItemWritesMixin, ResourceViewSet):
    model = Protocol
    output_serializer = ProtocolOutput
    filterset_class = ProtocolFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    upload_actions = ("upload_version",)
    writes = protocol_services.WRITES
    create_input, update_input = ProtocolCreateInput, ProtocolUpdateInput

    def base_queryset(self):
        return Protocol.objects.prefetch_related(
            "allowed_organisations",
            Prefetch(
                "versions",
                queryset=ProtocolVersion.objects.system(
                    "the output keeps only visible_version_ids, computed through the policy"
                ).order_by("-number"),
            ),
        )

    def extra_context(self, objects) -> dict:
        versions = ProtocolVersion.objects.filter(protocol_id__in=[obj.pk for obj in objects])
        return {
            "visible_version_ids": set(
                visible(self.request.user, versions).values_list("pk", flat=True)
            )
            if objects
            else set()
        }

    @action(detail=True, methods=["post"], url_path="versions", parser_classes=UPLOAD_PARSERS)
    def upload_version(self, request, *args, **kwargs):
        def store(protocol, upload):
            return store_with(
                protocol_services.protocol_version_add,
                upload,
                protocol=protocol,
                actor=request.user,
                change_note=upload.fields.get("change_note") or "",
                request=request,
            )

        version = self.receive_and_store(Action.CONTRIBUTE, store)
        return self.created_response(ProtocolVersionOutput, version)


ProtocolVersionFilter = version_filter(ProtocolVersion)


@part_schema(
    ProtocolVersionOutput,
    plural="protocol versions",
    one="a protocol version",
    approve=extend_schema(
        summary="Approve a draft version (coordinators); the previous one is superseded",
        request=None,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses={200: ProtocolVersionOutput, **problems(400, 403, 404, 412)},
    ),
)
class ProtocolVersionViewSet(DownloadMixin, ResourceViewSet):
    model = ProtocolVersion
    output_serializer = ProtocolVersionOutput
    filterset_class = ProtocolVersionFilter
    http_method_names = ["get", "post", "head", "options"]
    writes = protocol_services.WRITES

    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        def write():
            version = self.locked_object(Action.VIEW)
            project = version.protocol.project
            managed = Project.objects.filter(pk=project.pk)
            if not visible(request.user, managed, Action.MANAGE).exists():
                raise PermissionDenied("Only the project's coordinators approve versions.")
            return protocol_services.protocol_version_approve(
                version=version, actor=request.user, request=request
            )

        return self.run_write(write)
