"""Request-level security: the MFA enrolment gate and session lifetimes."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from apps.api.problems import problem_json_response
from apps.security.mfa import MFA_REQUIRED_MESSAGE, user_needs_mfa_enrolment
from apps.security.models import UserSession
from apps.security.services import user_session_end_current
from apps.security.session_keys import (
    SESSION_ROW_CHECKED_KEY,
    SESSION_ROW_KEY,
    SESSION_SEEN_KEY,
    SESSION_STARTED_KEY,
)

# Paths a person who must enrol may still use: allauth (sign-out, re-authentication, the 2FA
# pages themselves), their security page, static files and the probes.
MFA_EXEMPT_PREFIXES = (
    "/accounts/",
    "/account/security/",
    "/security/",
    "/static/",
    "/healthz",
    "/readyz",
)


MFA_NEXT_SESSION_KEY = "stratum_mfa_next"


class MfaEnrolmentMiddleware:
    """Sends a person whose role requires a second factor to enrolment until they have one.

    API requests are not redirected: bearer tokens are authenticated later by DRF, and the
    access policy itself refuses privileged decisions (apps.security.mfa) with a clear message.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            return self._send_to_enrolment(request)
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        path = request.path_info
        if path.startswith(MFA_EXEMPT_PREFIXES) or path.startswith("/api/"):
            return False
        return user_needs_mfa_enrolment(request.user)

    @staticmethod
    def _send_to_enrolment(request):
        url = reverse("mfa_activate_totp")
        if request.method == "GET" and not getattr(request, "htmx", False):
            messages.warning(request, MFA_REQUIRED_MESSAGE, fail_silently=True)
        if getattr(request, "htmx", False):
            response = HttpResponseRedirect(url)
            response["HX-Redirect"] = url
            return response
        if request.method == "GET":
            # Remembered so that, once set up, the person is offered the way back (allauth's
            # set-up ends on the recovery codes page, which links to accounts:mfa_continue).
            request.session[MFA_NEXT_SESSION_KEY] = request.get_full_path()
        return redirect(f"{url}?next={request.get_full_path()}" if request.method == "GET" else url)


def idle_timeout() -> int:
    return int(getattr(settings, "SESSION_IDLE_TIMEOUT", 8 * 3600))


def absolute_lifetime() -> int:
    return int(getattr(settings, "SESSION_ABSOLUTE_LIFETIME", 7 * 24 * 3600))


class SessionLifetimeMiddleware:
    """Ends a session idle for SESSION_IDLE_TIMEOUT seconds or older than
    SESSION_ABSOLUTE_LIFETIME, and one ended elsewhere ("sign out everywhere")."""

    # The session's seen-at time and the row's last_seen_at are refreshed at most this often
    # (seconds), not on every request.
    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = self._check(request)
            if reason:
                return self._end(request, reason)
        return self.get_response(request)

    def _check(self, request) -> str:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED_KEY)
        seen = session.get(SESSION_SEEN_KEY)
        if started is None:
            # A session from before this middleware existed: its lifetime starts now.
            session[SESSION_STARTED_KEY] = started = now
        if seen is not None and now - seen > idle_timeout():
            return "idle"
        if now - started > absolute_lifetime():
            return "expired"
        row_id = session.get(SESSION_ROW_KEY)
        checked = session.get(SESSION_ROW_CHECKED_KEY) or 0
        # Signing out everywhere deletes the sessions from the store, which takes effect at
        # once; the row is read (and its last-seen time written) at most once a minute.
        if row_id is not None and now - checked > self.TOUCH_EVERY:
            if self._row_ended(request, row_id):
                return "signed_out_elsewhere"
            session[SESSION_ROW_CHECKED_KEY] = now
        if seen is None or now - seen >= self.TOUCH_EVERY:
            # At most once a minute, so that the session (and its cookie's expiry) is written
            # once a minute rather than on every page; the idle timeout is hours.
            session[SESSION_SEEN_KEY] = now
        return ""

    @staticmethod
    def _row_ended(request, row_id) -> bool:
        row = UserSession.objects.filter(pk=row_id, user_id=request.user.pk).first()
        if row is None or row.ended_at is not None:
            return True
        UserSession.objects.filter(pk=row.pk).update(
            last_seen_at=timezone.now(),
            session_key=request.session.session_key or row.session_key,
        )
        return False

    @staticmethod
    def _end(request, reason: str):
        user_session_end_current(request=request, reason=reason)
        logout(request)
        if request.path_info.startswith("/api/"):
            return _anonymous_api(request)
        messages.info(request, "Your session has ended. Please sign in again.")
        return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")


def _anonymous_api(request):
    return problem_json_response(401, "Your session has ended. Please sign in again.")


# Headers OWASP's secure-headers project recommends that Django does not set itself.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "publickey-credentials-get=(self), usb=()"
)


class SecurityHeadersMiddleware:
    """Permissions-Policy, Cross-Origin-Resource-Policy and the CSP reporting endpoint
    (X-Frame-Options, nosniff, Referrer-Policy, COOP and HSTS come from Django's
    SecurityMiddleware and settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.setdefault("X-Permitted-Cross-Domain-Policies", "none")
        response.setdefault("Reporting-Endpoints", 'csp="/security/csp-report/"')
        return response
