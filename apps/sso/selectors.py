"""Sign-in discovery and the reads behind institutional sign-in."""

from django.db.models import QuerySet

from apps.organisations.models import OrganisationDomain, OrganisationStatus
from apps.sso.models import IdentityProvider


def _candidate_domains(email: str) -> list[str]:
    """kelvin.ac.uk for someone@med.kelvin.ac.uk too: the address's domain and its parents
    (never the bare top-level domain)."""
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)] if len(parts) > 1 else []


def identity_provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider of the approved organisation owning the address's domain (the most
    specific domain wins), or None: sign in with a password then."""
    domains = _candidate_domains(email or "")
    if not domains:
        return None
    owned = {
        d.domain: d.organisation_id
        for d in OrganisationDomain.objects.filter(
            domain__in=domains, organisation__status=OrganisationStatus.APPROVED
        )
    }
    for domain in domains:
        if domain in owned:
            return (
                IdentityProvider.objects.filter(organisation_id=owned[domain], enabled=True)
                .select_related("organisation")
                .order_by("protocol")
                .first()
            )
    return None


def email_belongs_to_organisation(email: str, organisation_id) -> bool:
    """True when the address's domain (or a parent domain) is one of the organisation's."""
    domains = _candidate_domains(email or "")
    return bool(domains) and (
        OrganisationDomain.objects.filter(
            organisation_id=organisation_id, domain__in=domains
        ).exists()
    )


def active_identity_providers() -> QuerySet[IdentityProvider]:
    """The providers people may sign in through: enabled, of an approved organisation."""
    return IdentityProvider.objects.filter(
        enabled=True, organisation__status=OrganisationStatus.APPROVED
    ).select_related("organisation")


def active_identity_provider(slug: str) -> IdentityProvider | None:
    return active_identity_providers().filter(slug=slug).first()


def identity_providers_for_staff() -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.select_related("organisation").order_by(
        "organisation__name", "protocol"
    )
