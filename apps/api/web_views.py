"""Pages at /account/tokens/: personal and organisation tokens, and organisation webhooks.
Thin views: fetch through `apps.api.selectors` (404 when not theirs), call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.api import selectors
from apps.api.forms import TokenForm, WebhookForm
from apps.api.tokens import api_token_create, api_token_revoke, service_token_create
from apps.api.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_set_active,
    webhook_ping,
    webhook_redeliver,
)


def _index_context(user, form=None, issued=None, issued_for=None) -> dict:
    organisations = selectors.organisations_managed_by(user)
    return {
        "form": form or TokenForm(),
        "tokens": selectors.personal_tokens(user),
        "organisations": organisations,
        "service_tokens": selectors.service_tokens(organisations),
        "issued": issued,
        "issued_for": issued_for,
    }


def _form_errors(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """List and create personal tokens. A new token is shown on this response only."""
    if request.method == "GET":
        return render(request, "api/tokens.html", _index_context(request.user))
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            issued = api_token_create(user=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            context = _index_context(request.user, issued=issued)
            return render(request, "api/tokens.html", context, status=201)
    return render(request, "api/tokens.html", _index_context(request.user, form=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def service_token_new(request, organisation_pk):
    organisation = selectors.organisation_managed_get(request.user, organisation_pk)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = service_token_create(
                organisation=organisation, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            context = _index_context(request.user, issued=issued, issued_for=organisation)
            return render(request, "api/tokens.html", context, status=201)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "api/service_token_new.html",
        {"form": form, "organisation": organisation},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk):
    token = selectors.token_get_for_revocation(request.user, pk)
    if request.method == "POST":
        api_token_revoke(token=token, actor=request.user, request=request)
        messages.success(request, f"The token “{token.name}” is revoked; it stops working at once.")
        return redirect("tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    organisations = selectors.organisations_managed_by(request.user)
    form = WebhookForm(request.POST or None, organisations=organisations)
    secret = endpoint = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            endpoint, secret = webhook_endpoint_create(
                organisation=data["organisation"],
                actor=request.user,
                url=data["url"],
                description=data["description"],
                request=request,
            )
            form, status = WebhookForm(organisations=organisations), 201
        else:
            status = 400
    context = {
        "form": form,
        "organisations": organisations,
        "endpoints": selectors.webhooks_for(organisations),
        "secret": secret,
        "created": endpoint,
    }
    return render(request, "api/webhooks.html", context, status=status)


@login_required
def webhook_detail(request, pk):
    endpoint = selectors.webhook_get_for_user(request.user, pk)
    page = Paginator(selectors.webhook_deliveries(endpoint), 25).get_page(request.GET.get("page"))
    return render(request, "api/webhook_detail.html", {"endpoint": endpoint, "page_obj": page})


@login_required
@require_POST
def webhook_ping_view(request, pk):
    endpoint = selectors.webhook_get_for_user(request.user, pk)
    if not endpoint.is_active:
        messages.error(request, "Enable the webhook before sending it a test delivery.")
        return redirect("tokens:webhook", pk=endpoint.pk)
    delivery = webhook_ping(endpoint=endpoint, actor=request.user, request=request)
    messages.success(
        request, f"A signed test delivery ({delivery.pk}) is on its way: see the log below."
    )
    return redirect("tokens:webhook", pk=endpoint.pk)


@login_required
@require_POST
def webhook_toggle(request, pk):
    endpoint = selectors.webhook_get_for_user(request.user, pk)
    active = request.POST.get("active") == "1"
    webhook_endpoint_set_active(
        endpoint=endpoint, actor=request.user, active=active, request=request
    )
    messages.success(request, "Webhook enabled." if active else "Webhook disabled.")
    return redirect("tokens:webhook", pk=endpoint.pk)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, pk):
    endpoint = selectors.webhook_get_for_user(request.user, pk)
    if request.method == "POST":
        webhook_endpoint_delete(endpoint=endpoint, actor=request.user, request=request)
        messages.success(request, f"The webhook to {endpoint.url} is deleted.")
        return redirect("tokens:webhooks")
    return render(request, "api/webhook_delete.html", {"endpoint": endpoint})


@login_required
@require_POST
def webhook_redeliver_view(request, pk, delivery_pk):
    endpoint = selectors.webhook_get_for_user(request.user, pk)
    delivery = selectors.delivery_get_for_user(request.user, endpoint, delivery_pk)
    copy = webhook_redeliver(delivery=delivery, actor=request.user, request=request)
    messages.success(request, f"Queued again as delivery {copy.pk}.")
    return redirect("tokens:webhook", pk=endpoint.pk)
