import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.organisations.validators import (
    LOGO_MAX_BYTES,
    normalise_ror,
    ror_checksum_ok,
    validate_claimable_domain,
    validate_logo,
    validate_ror,
)

REAL_ROR_IDS = ["02jx3x895", "052gg0110", "013meh722", "041kmwe10", "0220mzb33", "01nrxwf90"]


@pytest.mark.parametrize("ror", REAL_ROR_IDS)
def test_real_ror_ids_pass_the_check_digits(ror):
    assert ror_checksum_ok(ror)
    validate_ror(ror)


@pytest.mark.parametrize("ror", ["02jx3x894", "052gg0111", "013meh723"])
def test_a_changed_check_digit_is_refused(ror):
    with pytest.raises(ValidationError) as caught:
        validate_ror(ror)
    assert caught.value.code == "ror_check"


@pytest.mark.parametrize("ror", ["12jx3x895", "02jx3x8", "02ix3x895", "02jx3x8951", "", "ucl"])
def test_malformed_ror_ids_are_refused_with_an_example(ror):
    with pytest.raises(ValidationError) as caught:
        validate_ror(ror)
    assert caught.value.code == "ror_format"
    assert "02jx3x895" in caught.value.messages[0]


def test_a_ror_url_or_capitals_normalise_to_the_bare_id():
    assert normalise_ror(" https://ror.org/02JX3X895 ") == "02jx3x895"
    validate_ror("https://ror.org/02jx3x895")


def _image(fmt="PNG", size=(64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_small_png_logo_is_accepted():
    validate_logo(SimpleUploadedFile("logo.png", _image(), content_type="image/png"))


def test_a_logo_that_is_not_an_image_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_logo(SimpleUploadedFile("logo.png", b"<svg>not a png</svg>"))
    assert caught.value.code == "logo_unreadable"


def test_a_logo_over_the_size_limit_is_refused():
    big = SimpleUploadedFile("logo.png", b"\0" * (LOGO_MAX_BYTES + 1))
    with pytest.raises(ValidationError) as caught:
        validate_logo(big)
    assert caught.value.code == "logo_size"


def test_a_gif_logo_is_refused_even_with_a_png_name():
    with pytest.raises(ValidationError) as caught:
        validate_logo(SimpleUploadedFile("logo.png", _image("GIF")))
    assert caught.value.code == "logo_format"


def test_a_huge_logo_in_pixels_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_logo(SimpleUploadedFile("logo.png", _image(size=(2500, 10))))
    assert caught.value.code == "logo_dimensions"


@pytest.mark.parametrize("domain", ["gmail.com", "nhs.net", "ac.uk", "@Outlook.com"])
def test_shared_mail_domains_cannot_be_claimed(domain):
    with pytest.raises(ValidationError) as caught:
        validate_claimable_domain(domain)
    assert caught.value.code == "domain_shared"


def test_an_institutional_domain_can_be_claimed():
    validate_claimable_domain("ucl.ac.uk")
