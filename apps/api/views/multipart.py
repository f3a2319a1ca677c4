"""Resumable uploads of dataset files straight to object storage (S3 multipart).

    POST   /api/v1/file-uploads/                       announce: dataset, name, size, SHA-256
    GET    /api/v1/file-uploads/{id}/                  the parts the bucket holds (to resume)
    POST   /api/v1/file-uploads/{id}/parts/{n}/url/    a presigned PUT URL for part n
    POST   /api/v1/file-uploads/{id}/complete/         assemble, verify SHA-256, 201 the file;
                                                       202 (poll the upload) for a large one
    DELETE /api/v1/file-uploads/{id}/                  give up (the bucket drops the parts)

Every call checks the policy again (may the caller still edit the dataset?) before it answers,
so a URL is never issued to someone who lost the right meanwhile; an upload is visible only to
the person who started it (404 for anyone else). On S3-compatible storage the part URLs point
at the bucket; on local storage at this server (`/uploads/parts/…`, apps/core/multipart.py),
which keeps the parts on disk until completion: the same protocol either way.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.access.policy import Action, can, visible
from apps.api.permissions import TokenScopePermission
from apps.api.schema import ApiAutoSchema
from apps.api.serializers.common import api_url
from apps.api.serializers.items import DatasetFileOutput
from apps.api.serializers.uploads import (
    MultipartUploadOutput,
    MultipartUploadStartInput,
    PartUrlOutput,
)
from apps.api.views.base import UUID_PATTERN, problems
from apps.core import multipart
from apps.datasets import multipart as services
from apps.datasets.models import Dataset, DatasetFileUpload
from apps.datasets.tasks import queue_verification


def _as_api_error(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


@extend_schema_view(
    create=extend_schema(
        summary="Start a resumable upload of a dataset file to object storage (its editors)",
        request=MultipartUploadStartInput,
        responses={201: MultipartUploadOutput, **problems(400, 403, 404, 415)},
    ),
    retrieve=extend_schema(
        summary="A resumable upload and the parts already stored",
        responses={200: MultipartUploadOutput, **problems(404)},
    ),
    destroy=extend_schema(
        summary="Abandon a resumable upload", responses={204: None, **problems(403, 404)}
    ),
    part_url=extend_schema(
        summary="A short-lived presigned URL to PUT one part",
        request=None,
        responses={200: PartUrlOutput, **problems(400, 403, 404)},
    ),
    complete=extend_schema(
        summary="Complete: the server checks the SHA-256 before the file appears",
        description="201 with the file once checked. A file larger than the deployment's "
        "inline limit (1 GiB by default) is checked by a worker instead: 202 with the upload, "
        "`verifying`; GET it (Location) until it is `completed` (its `file`) or `aborted` "
        "(its `error`).",
        request=None,
        responses={
            201: DatasetFileOutput,
            202: MultipartUploadOutput,
            **problems(400, 403, 404, 415),
        },
    ),
)
class MultipartUploadViewSet(viewsets.ViewSet):
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    # Signed in (401 otherwise), with the `write` scope for everything but reading.
    permission_classes = [IsAuthenticated, TokenScopePermission]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    schema = ApiAutoSchema()

    def _dataset(self, dataset_id) -> Dataset:
        """The dataset if visible (404 otherwise) and editable by the caller (403)."""
        dataset = visible(self.request.user, Dataset.objects.all()).filter(pk=dataset_id).first()
        if dataset is None:
            raise Http404
        if not can(self.request.user, Action.EDIT, dataset):
            raise exceptions.PermissionDenied("You may not add files to this dataset.")
        return dataset

    def _upload(self, upload_id) -> DatasetFileUpload:
        upload = DatasetFileUpload.objects.filter(
            pk=upload_id, created_by=self.request.user
        ).first()
        if upload is None:
            raise Http404
        upload.dataset = self._dataset(upload.dataset_id)  # the policy, asked again
        return upload

    def _output(self, upload, parts=None) -> dict:
        if parts is None and upload.status == DatasetFileUpload.Status.OPEN:
            parts = multipart.stored_parts(upload.key, upload.upload_id)
        upload.parts = parts or []
        upload.url = self.request.build_absolute_uri(
            reverse("api:file-upload-detail", kwargs={"id": upload.pk})
        )
        upload.file_url = None
        if upload.status == DatasetFileUpload.Status.COMPLETED:
            upload.file_url = api_url({"request": self.request}, "dataset-file", upload.file_id)
        return MultipartUploadOutput(upload).data

    def create(self, request):
        data = MultipartUploadStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = self._dataset(data.validated_data["dataset"])
        try:
            upload = services.dataset_file_upload_start(
                dataset=dataset,
                actor=request.user,
                file_name=data.validated_data["file_name"],
                size=data.validated_data["size"],
                sha256=data.validated_data["sha256"],
            )
        except DjangoValidationError as error:
            raise _as_api_error(error) from error
        return Response(self._output(upload, parts=[]), status=status.HTTP_201_CREATED)

    def retrieve(self, request, id=None):
        return Response(self._output(self._upload(id)))

    def destroy(self, request, id=None):
        services.dataset_file_upload_abort(upload=self._upload(id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path=r"parts/(?P<number>[0-9]{1,5})/url")
    def part_url(self, request, id=None, number=None):
        upload = self._upload(id)
        try:
            url, expires_at = services.dataset_file_upload_part_url(
                upload=upload, number=int(number)
            )
        except DjangoValidationError as error:
            raise _as_api_error(error) from error
        return Response(
            PartUrlOutput(
                {
                    "number": int(number),
                    # Absolute already on object storage; a path of this server on local storage.
                    "url": request.build_absolute_uri(url),
                    "expires_at": expires_at,
                }
            ).data
        )

    @action(detail=True, methods=["post"])
    def complete(self, request, id=None):
        upload = self._upload(id)
        if upload.status != DatasetFileUpload.Status.VERIFYING:  # asked again: the same 202
            try:
                file = services.dataset_file_upload_complete(
                    upload=upload, actor=request.user, request=request
                )
            except DjangoValidationError as error:
                codes = {item.code for item in getattr(error, "error_list", [])}
                if codes & {"file_type_refused", "file_type_mismatch"}:
                    from apps.api.views.uploads import UnsupportedFileType

                    raise UnsupportedFileType(" ".join(error.messages)) from error
                raise _as_api_error(error) from error
            if file is not None:
                data = DatasetFileOutput(file, context={"request": request}).data
                return Response(
                    data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]}
                )
            queue_verification(upload)  # a large file: a worker checks it, the client polls
        data = self._output(upload)
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
