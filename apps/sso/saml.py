"""Reading an identity provider's SAML 2.0 metadata into what allauth's saml provider needs."""

from django.core.exceptions import ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.utils import OneLogin_Saml2_XML


def idp_settings_from_metadata(xml: str, entity_id: str) -> dict:
    """{"entity_id", "x509cert", "sso_url", "slo_url"} from the IdP's metadata XML, or a
    ValidationError saying what is wrong with it (for the metadata_xml field)."""
    try:
        OneLogin_Saml2_XML.to_etree(xml.encode() if isinstance(xml, str) else xml)
    except Exception as error:  # lxml raises several types; any of them means "not XML"
        raise ValidationError(f"This is not well-formed XML ({error}).") from error
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id or None)
    except Exception as error:
        raise ValidationError(f"This metadata cannot be read: {error}") from error
    idp = parsed.get("idp") or {}
    if not idp:
        raise ValidationError(
            f"The metadata describes no identity provider with entity ID “{entity_id}”."
            if entity_id
            else "The metadata describes no identity provider (IDPSSODescriptor)."
        )
    sso_url = (idp.get("singleSignOnService") or {}).get("url")
    if not sso_url:
        raise ValidationError(
            "The metadata has no SingleSignOnService with the HTTP-Redirect binding."
        )
    cert = idp.get("x509cert") or ((idp.get("x509certMulti") or {}).get("signing") or [None])[0]
    if not cert:
        raise ValidationError("The metadata has no signing certificate (KeyDescriptor).")
    return {
        "entity_id": idp.get("entityId") or entity_id,
        "x509cert": cert,
        "sso_url": sso_url,
        "slo_url": (idp.get("singleLogoutService") or {}).get("url") or "",
    }
