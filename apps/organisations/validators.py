import re

from django.core.exceptions import ValidationError

# ROR IDs: "0" + 6 characters of Crockford base32 (no i, l, o, u) + 2 check digits (ISO 7064 97-10).
ROR_RE = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
ROR_URL_PREFIX = "https://ror.org/"
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
ODS_RE = re.compile(r"^[A-Z0-9]{3,10}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def normalise_ror(value: str) -> str:
    value = (value or "").strip().lower()
    if value.startswith(ROR_URL_PREFIX):
        value = value[len(ROR_URL_PREFIX) :]
    return value


def ror_checksum_ok(ror: str) -> bool:
    number = 0
    for char in ror[:7]:
        number = number * 32 + CROCKFORD.index(char)
    return 98 - (number * 100 % 97) == int(ror[7:])


def validate_ror(value: str) -> None:
    ror = normalise_ror(value)
    if not ROR_RE.match(ror):
        raise ValidationError(
            "Enter a ROR ID like 02jx3x895 (nine characters, as in https://ror.org/02jx3x895).",
            code="ror_format",
        )
    if not ror_checksum_ok(ror):
        raise ValidationError("This ROR ID's check digits are wrong.", code="ror_check")


def validate_ods_code(value: str) -> None:
    if not ODS_RE.match(value or ""):
        raise ValidationError(
            "Enter an NHS ODS code of 3–10 capital letters and digits.", code="ods_format"
        )


def normalise_domain(value: str) -> str:
    return (value or "").strip().lower().lstrip("@").rstrip(".")


def validate_domain(value: str) -> None:
    if not DOMAIN_RE.match(normalise_domain(value)):
        raise ValidationError(
            f"“{value}” is not an e-mail domain like example.ac.uk.", code="domain_format"
        )


# Logos are shown on public pages: keep them small, and make sure they really are images.
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 2000
LOGO_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})


def validate_logo(file) -> None:
    """Refuse files that are too large, not decodable by Pillow, or of an unexpected format."""
    from PIL import Image, UnidentifiedImageError

    if not file:
        return
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(
            f"The logo is {file.size // 1024} KB; the limit is {LOGO_MAX_BYTES // 1024} KB.",
            code="logo_size",
        )
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "The logo is not a readable PNG, JPEG or WebP image.", code="logo_unreadable"
        ) from exc
    finally:
        if position is not None:
            file.seek(position)
    if image_format not in LOGO_FORMATS:
        raise ValidationError("The logo must be a PNG, JPEG or WebP image.", code="logo_format")
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise ValidationError(
            f"The logo is {width}×{height} pixels; at most {LOGO_MAX_PIXELS} on each side.",
            code="logo_dimensions",
        )


# Addresses at these domains say nothing about a person's organisation: they can never affiliate
# anyone automatically. nhs.net is shared by every NHS body, and the second-level public suffixes
# would match whole countries' universities or companies.
SHARED_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "live.co.uk",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "mail.com",
        "btinternet.com",
        "nhs.net",
        "ac.uk",
        "co.uk",
        "org.uk",
        "gov.uk",
        "nhs.uk",
        "ltd.uk",
        "plc.uk",
        "me.uk",
        "net.uk",
        "sch.uk",
        "com.au",
        "edu.au",
        "ac.jp",
        "co.jp",
    }
)


def validate_claimable_domain(value: str) -> None:
    validate_domain(value)
    if normalise_domain(value) in SHARED_EMAIL_DOMAINS:
        raise ValidationError(
            f"“{value}” is shared by many organisations and cannot affiliate people "
            "automatically; invite them instead.",
            code="domain_shared",
        )
