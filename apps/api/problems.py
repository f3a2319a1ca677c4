"""RFC 9457 problem details for every API error.

Two entry points produce the same body: DRF's exception handler (errors raised inside API
views) and `ApiProblemMiddleware` (errors Django answers before or after DRF: an unknown URL
under /api/, an unhandled exception, a request body over the size limit).
"""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.access.exceptions import NotAllowed, TransitionError

logger = logging.getLogger("apps.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
}
PASSED_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it: fetch it again, then retry."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the resource's current state."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "payload_too_large"


def problem_body(status_code: int, detail: str, *, errors=None) -> dict:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code: int, detail: str, *, errors=None, headers=None) -> Response:
    response = Response(
        problem_body(status_code, detail, errors=errors), status=status_code, headers=headers
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_json_response(status_code: int, detail: str, *, headers=None) -> JsonResponse:
    """The same body for plain Django responses (no DRF renderer involved)."""
    response = JsonResponse(problem_body(status_code, detail), status=status_code)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _django_validation_errors(exc: DjangoValidationError) -> dict:
    """A service's ValidationError becomes per-field errors (non-field ones under `detail`)."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(message) for message in exc.messages]}


def _translate(exc):
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, TransitionError):
        return Conflict(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_django_validation_errors(exc))
    return exc


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            return _first_message(value)
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def problem_exception_handler(exc, context):
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # unhandled: ApiProblemMiddleware answers 500 without a stack trace
    headers = {k: v for k, v in response.headers.items() if k in PASSED_HEADERS}
    if isinstance(exc, exceptions.Throttled) and "Retry-After" not in headers:
        headers["Retry-After"] = str(int(exc.wait or 1))
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        detail = f"The request has invalid fields: {_first_message(errors)}"
        return problem_response(
            status.HTTP_400_BAD_REQUEST, detail[:500], errors=errors, headers=headers
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, list | dict):
        detail = _first_message(detail)
    return problem_response(response.status_code, str(detail), headers=headers)


class ApiProblemMiddleware:
    """Under /api/, answer Django's own errors as problem details too: unknown URLs (404),
    bodies over the limit (413) and unhandled exceptions (500, logged, no stack trace)."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _is_api(request) -> bool:
        return request.path.startswith("/api/")

    def __call__(self, request):
        response = self.get_response(request)
        if not self._is_api(request) or response.get("Content-Type", "").startswith(
            ("application/json", PROBLEM_CONTENT_TYPE, "application/vnd.oai")
        ):
            return response
        if response.status_code in (400, 404, 405, 413, 500):
            headers = {k: response[k] for k in PASSED_HEADERS if response.has_header(k)}
            detail = {
                400: "The request is malformed (for example a NUL character in the address).",
                404: "There is no API resource at this address.",
                405: "This method is not allowed here.",
                413: "The request body is larger than the server accepts.",
                500: "The server failed to answer; the error was logged.",
            }[response.status_code]
            return problem_json_response(response.status_code, detail, headers=headers)
        return response

    def process_exception(self, request, exception):
        if not self._is_api(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            return problem_json_response(413, PayloadTooLarge.default_detail)
        if isinstance(exception, Http404):
            return problem_json_response(404, "There is no API resource at this address.")
        logger.exception("Unhandled API error on %s %s", request.method, request.path)
        return problem_json_response(500, "The server failed to answer; the error was logged.")
