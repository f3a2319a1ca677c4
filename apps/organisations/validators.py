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
