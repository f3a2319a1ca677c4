"""Reads for the token and webhook pages, always through the access policy."""

from django.db.models import QuerySet
from django.http import Http404

from apps.access.policy import Action, visible
from apps.accounts.models import ApiToken
from apps.api.models import WebhookDelivery, WebhookEndpoint
from apps.organisations.models import Organisation


def organisations_managed_by(user) -> QuerySet:
    """Organisations whose service tokens and webhooks `user` runs: those they are a current
    admin of (staff can manage any through the admin, but their page lists their own)."""
    administered = Organisation.objects.administered_by(user)
    return visible(user, administered, Action.MANAGE).order_by("name")


def organisation_managed_get(user, pk) -> Organisation:
    organisation = visible(user, Organisation.objects.filter(pk=pk), Action.MANAGE).first()
    if organisation is None:
        raise Http404("No such organisation.")
    return organisation


def personal_tokens(user) -> QuerySet:
    return ApiToken.objects.filter(user=user, organisation__isnull=True).order_by("-created_at")


def service_tokens(organisations) -> QuerySet:
    return (
        ApiToken.objects.filter(organisation__in=organisations)
        .select_related("organisation", "created_by")
        .order_by("organisation__name", "-created_at")
    )


def token_get_for_revocation(user, pk) -> ApiToken:
    """The person's own token, or a service token of an organisation they manage; else 404."""
    token = ApiToken.objects.select_related("organisation").filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    if token.organisation_id is None and token.user_id == user.pk:
        return token
    if token.organisation_id and organisations_managed_by(user).filter(pk=token.organisation_id):
        return token
    raise Http404("No such token.")


def webhooks_for(organisations) -> QuerySet:
    return (
        WebhookEndpoint.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .order_by("organisation__name", "-created_at")
    )


def webhook_get_for_user(user, pk) -> WebhookEndpoint:
    endpoint = webhooks_for(organisations_managed_by(user)).filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook.")
    return endpoint


def webhook_deliveries(endpoint) -> QuerySet:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at")


def delivery_get_for_user(user, endpoint, pk) -> WebhookDelivery:
    delivery = webhook_deliveries(endpoint).filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery
