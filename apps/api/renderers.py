"""The API's JSON renderer: DRF's `JSONRenderer` bytes, written by orjson.

DRF encodes with the standard library (`json.dumps` with its encoder class, compact
separators, `ensure_ascii=False`, NaN refused) and then escapes U+2028 and U+2029 so the body
is also valid JavaScript. orjson writes the same text several times faster for what the API
sends — dicts, lists, `str`, `int`, `bool`, `None`, and UUIDs (hyphenated, as `str()`) — as
UTF-8 without spaces; the two separators are escaped here exactly as DRF does. Anything else
(a datetime, a lazy translation, a set) goes through DRF's own encoder (`default`), and
whatever orjson refuses (an integer beyond 64 bits, a lone surrogate, a non-string key), a
Decimal, or a client asking for indentation falls back to DRF's renderer, so the bytes are
DRF's (tests/api/test_renderer.py and test_list_bytes.py compare them).

Floats are the one difference orjson cannot be asked to pass through: it writes 1e-05 as
`0.00001`, and NaN as `null` where DRF refuses it. No API resource has a number field;
tests/api/test_renderer.py holds the schema to that.
"""

from dataclasses import dataclass

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_ENCODER = JSONEncoder()
_LINE_SEPARATOR = "\u2028".encode()
_PARAGRAPH_SEPARATOR = "\u2029".encode()


class _Fallback(Exception):
    """A value whose standard-library encoding orjson would not reproduce."""


def _default(value):
    encoded = _ENCODER.default(value)
    if isinstance(encoded, float):  # a Decimal, say
        raise _Fallback
    return encoded


def dumps(data) -> bytes:
    """`data` as DRF's compact `JSONRenderer` renders it."""
    try:
        body = orjson.dumps(data, default=_default, option=_OPTIONS)
    except (orjson.JSONEncodeError, _Fallback):
        return JSONRenderer().render(data)
    if b"\xe2\x80" in body:  # the UTF-8 lead bytes of both separators (and other punctuation)
        body = body.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
    return body


@dataclass(frozen=True)
class RenderedJSON:
    """A body `dumps` has already written (a cached API page): sent as it is, so a cache hit
    neither unpickles the page's rows nor encodes them again."""

    body: bytes


def plain_json(request) -> bool:
    """True when `request` is answered by `FastJSONRenderer` in its compact form, the only
    form a `RenderedJSON` body is (a client asking for indentation gets the page re-encoded)."""
    renderer = getattr(request, "accepted_renderer", None)
    return isinstance(renderer, FastJSONRenderer) and (
        renderer.get_indent(getattr(request, "accepted_media_type", None), {}) is None
    )


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, RenderedJSON):
            return data.body
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        return dumps(data)
