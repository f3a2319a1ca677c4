"""Links that leave the site (e-mails, feeds, calendar files) use the configured public URL.

The host a request arrived on may be an internal name behind a proxy, or the port of another
checkout; SITE_URL is what people can open. `make run` sets it from PORT.
"""

from urllib.parse import urlsplit

from django.conf import settings


def public_url(path_or_url: str) -> str:
    """`/x/?y` or `http://any-host/x/?y` → SITE_URL + `/x/?y` (scheme and host replaced)."""
    bits = urlsplit(path_or_url)
    query = f"?{bits.query}" if bits.query else ""
    fragment = f"#{bits.fragment}" if bits.fragment else ""
    return f"{settings.SITE_URL}{bits.path}{query}{fragment}"
