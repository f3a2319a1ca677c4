"""The orjson renderer writes exactly the bytes of DRF's `JSONRenderer` (apps.api.renderers)."""

import datetime
import decimal
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from apps.api.renderers import FastJSONRenderer, dumps

AWKWARD = 'Ünïcode — 🧬 \u2028 line \u2029 paragraph "quoted" \\ \x07 \x00 \x1f \u2027 \u202f <>&'
LONDON = zoneinfo.ZoneInfo("Europe/London")

PAYLOADS = {
    "text": {"title": AWKWARD, "empty": "", "keys in order": {"b": 1, "a": 2}},
    "numbers": [0, -1, 2**63 - 1, -(2**63), True, False, None],
    "uuid": {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "times": [
        datetime.datetime(2026, 7, 1, 9, 30, 15, 120000, tzinfo=datetime.UTC),
        datetime.datetime(2026, 1, 15, 23, 59, 59, tzinfo=LONDON),
        datetime.datetime(2026, 7, 1, 9, 30),
        datetime.date(2026, 7, 1),
        datetime.time(9, 30, 15, 5),
        datetime.timedelta(hours=2),
    ],
    "lazy": {"message": gettext_lazy("This field is required.")},
    "serializer containers": ReturnDict(
        {"results": ReturnList([{"a": 1}], serializer=None)}, serializer=None
    ),
    # What orjson refuses or would write otherwise falls back to DRF's own encoding.
    "beyond 64 bits": {"big": 2**64},
    "decimal": {"amount": decimal.Decimal("1E-5")},
    "non-string keys": {1: "one"},
    "a set": {"tags": {"only"}},
    "a tuple": ("a", 1),
}


@pytest.mark.parametrize("name", PAYLOADS)
def test_the_bytes_are_drfs(name):
    assert dumps(PAYLOADS[name]) == JSONRenderer().render(PAYLOADS[name])


def test_the_separators_are_escaped_as_drf_does():
    body = dumps({"t": "a\u2028b\u2029c"})
    assert body == b'{"t":"a\\u2028b\\u2029c"}'


def test_an_indented_answer_asked_for_is_drfs_too():
    data = {"a": [1, {"b": AWKWARD}]}
    accepted = "application/json; indent=4"
    assert FastJSONRenderer().render(data, accepted) == JSONRenderer().render(data, accepted)
    assert FastJSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_no_api_resource_sends_a_float(client):
    """orjson writes some floats differently (1e-05 as 0.00001, NaN as null where DRF refuses
    it): the renderer relies on the API having no number fields. A new one must be rendered with care (and this test told)."""
    schema = client.get("/api/schema/?format=json").json()
    numbers = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "number":
                numbers.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk(schema, "")
    assert "components" in schema and not numbers, numbers
