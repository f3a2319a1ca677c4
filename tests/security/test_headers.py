"""Security headers on every page, and the CSP violation report endpoint."""

import json
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["/", "/accounts/login/", "/projects/", "/datasets/", "/organisations/"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_carries_a_strict_csp_with_reporting(client, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp
    assert "report-uri /security/csp-report/" in csp
    assert "report-to csp" in csp
    assert response["Reporting-Endpoints"] == 'csp="/security/csp-report/"'


@pytest.mark.parametrize("url", PAGES)
def test_every_page_carries_the_owasp_secure_headers(client, url):
    response = client.get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Permitted-Cross-Domain-Policies"] == "none"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_api_carries_the_headers_too(client):
    response = client.get("/api/v1/datasets/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_a_csp_report_is_logged(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "http://testserver/projects/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="stratum.security.csp"):
        response = client.post(
            reverse("security:csp_report"),
            json.dumps(report),
            content_type="application/csp-report",
        )
    assert response.status_code == 204
    assert "script-src-elem blocked inline on http://testserver/projects/" in caplog.text


def test_a_reporting_api_batch_is_logged(client, caplog):
    batch = [
        {
            "type": "csp-violation",
            "body": {
                "documentURL": "http://testserver/",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
            },
        }
    ]
    with caplog.at_level(logging.WARNING, logger="stratum.security.csp"):
        response = client.post(
            reverse("security:csp_report"),
            json.dumps(batch),
            content_type="application/reports+json",
        )
    assert response.status_code == 204
    assert "style-src-attr blocked inline on http://testserver/" in caplog.text


def test_a_malformed_csp_report_is_refused(client):
    response = client.post(reverse("security:csp_report"), "not json", content_type="text/plain")
    assert response.status_code == 400


def test_an_oversized_csp_report_is_refused(client):
    response = client.post(
        reverse("security:csp_report"), "x" * 20_000, content_type="application/csp-report"
    )
    assert response.status_code == 413


def test_the_csp_report_endpoint_only_takes_posts(client):
    assert client.get(reverse("security:csp_report")).status_code == 405


def test_the_deploy_checks_pass_with_production_settings(monkeypatch, settings):
    """`check --deploy` warnings that the production settings answer (HSTS, secure cookies,
    SSL redirect) are absent when those settings are applied."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 20 + "Yq3!vT9#kL2@pR7$wZ5^mN8&bH4*cJ6(dF1)gS0"
    call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
