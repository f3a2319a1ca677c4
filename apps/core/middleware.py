import ipaddress
import re
import uuid
import zoneinfo

from django.conf import settings
from django.utils import timezone

from apps.core.guard import person_reads
from apps.core.logging import request_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ReadGuardMiddleware:
    """Every request reads for a person: governed rows pass through the access policy, whatever
    system block the server (or a test) was started in. First in the chain, so nothing that
    answers a request runs outside it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with person_reads():
            return self.get_response(request)


class RequestIdMiddleware:
    """Tags each request with an id (nginx's X-Request-ID when sane) for logs and responses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


class UserTimezoneMiddleware:
    """Shows times in the person's chosen zone; Europe/London otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = getattr(getattr(request, "user", None), "time_zone", "") or ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone)) if zone else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class TrustedProxyClientIpMiddleware:
    """Behind nginx or an ingress, REMOTE_ADDR is the proxy: take the client from X-Real-IP.

    Only when the direct peer is one of settings.STRATUM_TRUSTED_PROXIES (CIDRs), so a client
    talking to gunicorn directly cannot forge its address in the audit log.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = [
            ipaddress.ip_network(cidr, strict=False)
            for cidr in getattr(settings, "STRATUM_TRUSTED_PROXIES", [])
        ]

    @staticmethod
    def _client(value: str):
        try:
            return ipaddress.ip_address(value.strip())
        except ValueError:
            return None

    def __call__(self, request):
        peer = self._client(request.META.get("REMOTE_ADDR", ""))
        real = self._client(request.META.get("HTTP_X_REAL_IP", ""))
        if peer is not None and real is not None and any(peer in net for net in self.proxies):
            request.META["REMOTE_ADDR"] = str(real)
        return self.get_response(request)
