"""README.md is a newcomer's guide: every page it names exists (for staff, who see them all)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

README = Path(settings.BASE_DIR) / "README.md"
# Not pages: a URL pattern with a placeholder, and nginx's internal download location.
NOT_PAGES = {"/protected/"}


def named_paths() -> list[str]:
    paths = set(re.findall(r"`(/[^`\s]*)`", README.read_text()))
    return sorted(p for p in paths if "<" not in p and p not in NOT_PAGES)


def test_the_readme_names_the_main_pages():
    assert {"/", "/account/", "/api/guide/", "/audit/", "/readyz"} <= set(named_paths())


@pytest.mark.django_db
@pytest.mark.parametrize("path", named_paths())
def test_every_page_the_readme_names_answers(client, staff, path):
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
