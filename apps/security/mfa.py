"""Who must have a second factor, and whether they have one (issue 10, "MFA by role").

Staff, organisation admins, committee members and project coordinators hold rights whose
misuse reaches other organisations' data; they must enrol an authenticator (TOTP, with
recovery codes) before they use them. `STRATUM_MFA_ENFORCED` (default on) switches the
requirement off only in the test settings, so that other apps' tests need not enrol every
persona; the security tests switch it back on.
"""

from allauth.mfa.models import Authenticator
from django.conf import settings

from apps.access.facts import access_facts

MFA_REQUIRED_MESSAGE = (
    "Set up two-factor authentication before you use this: your role (staff, organisation "
    "admin, committee member or coordinator) requires a second factor."
)
# The factors that count as a second factor; recovery codes alone are a fallback, not one.
SECOND_FACTOR_TYPES = [Authenticator.Type.TOTP, "webauthn"]


def mfa_enforced() -> bool:
    return getattr(settings, "STRATUM_MFA_ENFORCED", True)


def user_has_mfa(user) -> bool:
    """True when the user has an active authenticator app (or passkey)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists()


def user_has_privileged_role(user) -> bool:
    """Staff, or a current organisation admin, committee member or project coordinator."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return access_facts(user).privileged_role


def user_needs_mfa_enrolment(user) -> bool:
    """True when the requirement applies to `user` and they have not enrolled yet. The
    middleware asks on every request of a signed-in person, so both halves come from the
    person's access facts (cached by access version; authenticators bump it too)."""
    if not mfa_enforced() or not getattr(user, "is_authenticated", False):
        return False
    facts = access_facts(user)
    if facts.has_second_factor:
        return False
    return bool(user.is_staff or user.is_superuser or facts.privileged_role)


def user_may_use_privileges(user) -> bool:
    """The policy-level gate: privileged decisions need a second factor where required."""
    return not user_needs_mfa_enrolment(user)
