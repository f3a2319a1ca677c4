"""The API guide (docs/api.md) is served at /api/guide/, safely, with working links; the sync
client downloads from there; the docs, token and webhook pages link to it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.api import guide
from tests.accounts.factories import UserFactory

HREF = re.compile(r'href="([^"]+)"')


@pytest.mark.django_db
def test_the_guide_renders_for_visitors_with_its_sections_as_anchors(client):
    response = client.get(reverse("api-guide"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="stratum-rest-api-v1">Stratum REST API (v1)</h1>' in html
    for section in ["authentication-and-tokens", "the-change-feed", "webhooks", "errors"]:
        assert f'id="{section}"' in html, section
    assert "<table>" in html


@pytest.mark.django_db
def test_every_link_on_the_guide_answers(client):
    html = client.get(reverse("api-guide")).content.decode()
    local = sorted({href for href in HREF.findall(html) if href.startswith("/")})
    assert "/api/guide/sync_client.py" in local and "/api/schema/" in local
    for href in local:
        path, _, fragment = href.partition("#")
        response = client.get(path)
        signs_in = response.status_code == 302 and response["Location"].startswith(
            reverse("account_login")
        )
        assert response.status_code == 200 or signs_in, (href, response.status_code)
        if fragment and path == reverse("api-guide"):
            assert f'id="{fragment}"' in html, href


def test_raw_html_and_script_links_in_the_guide_are_shown_as_text(tmp_path, monkeypatch):
    page = tmp_path / "api.md"
    page.write_text(
        "# Guide\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1))\n"
        '<img src=x onerror="alert(1)">\n'
    )
    monkeypatch.setattr(guide, "GUIDE", page)
    html = guide.guide_html()
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


@pytest.mark.django_db
def test_the_sync_client_downloads_as_a_python_file(client):
    response = client.get(reverse("api-guide-sync-client"))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-python")
    assert 'filename="sync_client.py"' in response["Content-Disposition"]
    assert body == (Path(settings.BASE_DIR) / "docs" / "sync_client.py").read_bytes()


@pytest.mark.django_db
def test_the_docs_token_and_webhook_pages_link_to_the_guide(client):
    guide_link = f'href="{reverse("api-guide")}'
    assert guide_link in client.get(reverse("api-docs")).content.decode()
    client.force_login(UserFactory())
    for name in ["tokens:list", "tokens:webhooks"]:
        assert guide_link in client.get(reverse(name)).content.decode(), name


@pytest.mark.django_db
def test_the_schema_opens_with_an_introduction_that_points_to_the_guide(client):
    schema = client.get(reverse("api-schema") + "?format=json").json()
    description = schema["info"]["description"]
    assert "(/api/guide/)" in description
    assert "Authorization: Bearer" in description
    assert len(description.split()) > 100


def test_the_sync_client_reports_a_missing_setting_in_one_sentence(tmp_path):
    client = Path(settings.BASE_DIR) / "docs" / "sync_client.py"
    result = subprocess.run(
        [sys.executable, str(client), str(tmp_path / "state.json")],
        env={"PATH": "/usr/bin:/bin", "STRATUM_URL": "https://stratum.example"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Set STRATUM_TOKEN in the environment first")
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_the_api_base_address_points_to_the_guide_and_every_resource(client):
    response = client.get("/api/v1/")
    body = response.json()
    assert response.status_code == 200
    assert body["guide"] == "http://testserver/api/guide/"
    assert body["resources"]["datasets"] == "http://testserver/api/v1/datasets/"
    for url in body["resources"].values():
        # Public catalogue lists answer a visitor; the rest ask for a token.
        status = client.get(url.removeprefix("http://testserver")).status_code
        assert status in (200, 401), (url, status)
