"""Refuse query strings no page can use, before a view hands them to the database."""

from django.core.exceptions import BadRequest


class RejectNulCharactersMiddleware:
    """PostgreSQL text cannot hold NUL (0x00): a filter or search term carrying one would fail
    deep in a query as a server error. Forms already refuse it in bodies (Django's
    ProhibitNullCharactersValidator); query strings reach selectors directly, so they are
    checked once here and answered with 400 (problem details under /api/)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("The address contains a NUL character.")
        return self.get_response(request)
