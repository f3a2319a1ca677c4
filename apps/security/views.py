"""Account security page, sign out everywhere, staff MFA reset, CSP reports, admin sign-in."""

import json
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.security import selectors, services
from apps.security.forms import MfaResetForm
from apps.security.mfa import user_has_privileged_role
from apps.security.middleware import MFA_NEXT_SESSION_KEY
from apps.security.session_keys import SESSION_ROW_KEY

logger = logging.getLogger("stratum.security.csp")
# A CSP report is small; anything larger is not a report worth parsing.
CSP_REPORT_MAX_BYTES = 16 * 1024


@login_required
def account_security(request):
    user = request.user
    context = {
        "sessions": selectors.user_active_sessions(user=user),
        "current_session_id": request.session.get(SESSION_ROW_KEY),
        "tokens": selectors.user_active_tokens(user=user),
        "factors": selectors.user_second_factor_types(user=user),
        "mfa_required": user_has_privileged_role(user),
    }
    return render(request, "security/account_security.html", context)


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every other session of this person; this browser stays signed in."""
    count = services.user_sessions_end_all(
        user=request.user, actor=request.user, request=request, keep_current=True
    )
    messages.success(
        request,
        "You are signed out everywhere else." if count else "You were not signed in anywhere else.",
    )
    return redirect("security:account_security")


def _person_for_staff(request, pk):
    if not (request.user.is_authenticated and request.user.is_staff):
        # Not staff: the page does not exist for them.
        raise Http404("Not found")
    person = get_user_model().objects.filter(pk=pk).first()
    if person is None:
        raise Http404("Not found")
    return person


@login_required
def mfa_reset(request, pk):
    person = _person_for_staff(request, pk)
    form = MfaResetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.user_mfa_reset(
                    user=person,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied:
                raise
            else:
                messages.success(
                    request, f"Two-factor authentication of {person.display_name} was reset."
                )
                return redirect("security:mfa_reset", pk=person.pk)
        status = 400
    context = {
        "person": person,
        "form": form,
        "factors": selectors.user_second_factor_types(user=person),
    }
    return render(request, "security/mfa_reset.html", context, status=status)


@csrf_exempt
@require_POST
def csp_report(request):
    """Browsers post violations here (report-uri and report-to); we log them, nothing else."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("Not a CSP report.")
    reports = payload if isinstance(payload, list) else [payload]
    for report in reports:
        if not isinstance(report, dict):
            continue
        body = report.get("csp-report") or report.get("body") or {}
        if not isinstance(body, dict):
            continue
        logger.warning(
            "CSP violation: %s blocked %s on %s",
            str(body.get("violated-directive") or body.get("effectiveDirective", ""))[:200],
            str(body.get("blocked-uri") or body.get("blockedURL", ""))[:500],
            str(body.get("document-uri") or body.get("documentURL", ""))[:500],
        )
    return HttpResponse(status=204)


def admin_login(request):
    """The admin's own sign-in form is bypassed: allauth's applies its rate limits and MFA."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")


@login_required
def mfa_continue(request):
    """After setting up two-factor authentication: back to the page that asked for it."""
    target = request.session.pop(MFA_NEXT_SESSION_KEY, "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("home")
    return redirect(target)
