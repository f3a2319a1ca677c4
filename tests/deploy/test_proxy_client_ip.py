"""Behind nginx the audit log records the client, not the proxy; nobody else can claim an IP."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from apps.core.middleware import TrustedProxyClientIpMiddleware


@pytest.fixture
def middleware(settings):
    settings.STRATUM_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    seen = {}

    def view(request):
        seen["ip"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    return TrustedProxyClientIpMiddleware(view), seen


def test_the_real_ip_from_a_trusted_proxy_becomes_remote_addr(middleware):
    handler, seen = middleware
    handler(RequestFactory().get("/", REMOTE_ADDR="10.2.3.4", HTTP_X_REAL_IP="198.51.100.7"))
    assert seen["ip"] == "198.51.100.7"


def test_an_untrusted_peer_cannot_claim_another_address(middleware):
    handler, seen = middleware
    handler(RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_REAL_IP="198.51.100.7"))
    assert seen["ip"] == "203.0.113.5"


def test_a_malformed_real_ip_is_ignored(middleware):
    handler, seen = middleware
    handler(
        RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.7, 10.0.0.1")
    )
    assert seen["ip"] == "127.0.0.1"


def test_ipv6_clients_are_kept_as_they_are(middleware):
    handler, seen = middleware
    handler(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="2001:db8::1"))
    assert seen["ip"] == "2001:db8::1"
