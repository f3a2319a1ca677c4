"""Institutional sign-in pages: "sign in with your organisation" (discovery), the hand-over to
the organisation's identity provider, and the staff configuration pages."""

import logging
from functools import wraps
from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods

from apps.access.policy.subjects import is_staff
from apps.sso import selectors, services
from apps.sso.forms import DiscoveryForm, IdentityProviderForm
from apps.sso.models import IdentityProvider

GET_POST = require_http_methods(["GET", "POST"])
logger = logging.getLogger(__name__)


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (is_staff(request.user) and request.user.is_active):
            raise PermissionDenied("Only portal staff can configure identity providers.")
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else ""


# --- Discovery ------------------------------------------------------------------------------
@GET_POST
def discover(request):
    """The person types their e-mail; their organisation's provider takes it from there."""
    next_url = _safe_next(request)
    form = DiscoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        provider = selectors.identity_provider_for_email(email)
        if provider is not None:
            query = {"login_hint": email, **({"next": next_url} if next_url else {})}
            return redirect(f"{reverse('sso:start', args=[provider.slug])}?{urlencode(query)}")
        domain = email.rpartition("@")[2].lower()
        form.add_error(
            "email",
            f"No organisation sign-in is set up for {domain}. Sign in with your e-mail address "
            "and password instead, or ask your organisation's admin to set one up.",
        )
    status = 400 if form.errors else 200
    context = {"form": form, "next": next_url, "login_url": reverse("account_login")}
    return render(request, "sso/discover.html", context, status=status)


def _provider_for(request, idp: IdentityProvider):
    try:
        return get_social_adapter(request).get_provider(request, idp.slug)
    except SocialApp.DoesNotExist:
        # Enabled, but its configuration cannot be used (logged by the adapter).
        raise Http404("This organisation's sign-in is not available.") from None


def _redirect_origin(request, idp: IdentityProvider, provider) -> str:
    """Where the hand-over form sends the browser: the CSP's form-action must allow it. Kept
    for an hour per configuration, so the page does not ask the IdP every time."""
    key = f"sso:redirect-origin:{idp.pk}:{idp.updated_at.timestamp()}"
    origin = cache.get(key)
    if origin is None:
        origin = _fetch_redirect_origin(request, idp, provider)
        cache.set(key, origin, 3600)
    return origin


def _fetch_redirect_origin(request, idp: IdentityProvider, provider) -> str:
    if idp.protocol == IdentityProvider.Protocol.OIDC:
        url = provider.get_oauth2_adapter(request).openid_config["authorization_endpoint"]
    else:
        idp_config = provider.app.settings["idp"]
        if idp_config.get("metadata_url"):
            from allauth.socialaccount.providers.saml.utils import fetch_metadata_url_config

            config = fetch_metadata_url_config(idp_config)
            url = config["idp"]["singleSignOnService"]["url"]
        else:
            url = idp_config["sso_url"]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@GET_POST
def start(request, slug: str):
    """GET: "Continue to <IdP>"; POST: allauth's login flow for that provider begins."""
    idp = selectors.active_identity_provider(slug)
    if idp is None:
        raise Http404("This organisation's sign-in is not available.")
    provider = _provider_for(request, idp)
    login_hint = request.POST.get("login_hint") or request.GET.get("login_hint") or ""
    login_hint = login_hint if DiscoveryForm({"email": login_hint}).is_valid() else ""
    next_url = _safe_next(request)
    try:
        if request.method == "POST":
            kwargs = {"process": "login", "next_url": next_url or None}
            if idp.protocol == IdentityProvider.Protocol.OIDC:
                kwargs["auth_params"] = {"login_hint": login_hint} if login_hint else {}
            return provider.redirect(request, **kwargs)
        origin = _redirect_origin(request, idp, provider)
    except Exception:  # the IdP does not answer, or its metadata or settings are unusable
        logger.exception("Sign-in through %s could not start", idp.slug)
        return render(request, "sso/unavailable.html", {"idp": idp}, status=503)
    context = {"idp": idp, "login_hint": login_hint, "next": next_url}
    response = render(request, "sso/start.html", context)
    response._csp_update = {"form-action": [origin]}
    return response


# --- Staff configuration --------------------------------------------------------------------
@staff_required
def staff_list(request):
    providers = selectors.identity_providers_for_staff()
    return render(request, "sso/staff_list.html", {"providers": providers})


def _edit(request, instance: IdentityProvider | None):
    form = IdentityProviderForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        provider = services.identity_provider_save(
            provider=form.save(commit=False),
            client_secret=form.cleaned_data.get("client_secret") or "",
            actor=request.user,
            request=request,
        )
        messages.success(request, f"Saved {provider.name}.")
        return redirect("sso:staff_list")
    status = 400 if form.errors else 200
    context = {"form": form, "provider": instance}
    return render(request, "sso/staff_form.html", context, status=status)


@staff_required
@GET_POST
def staff_create(request):
    return _edit(request, None)


@staff_required
@GET_POST
def staff_edit(request, pk):
    return _edit(request, get_object_or_404(IdentityProvider, pk=pk))
