from django.urls import path

from apps.api import web_views

app_name = "tokens"

urlpatterns = [
    path("", web_views.token_list, name="list"),
    path(
        "organisations/<uuid:organisation_pk>/new/", web_views.service_token_new, name="service_new"
    ),
    path("<uuid:pk>/revoke/", web_views.token_revoke, name="revoke"),
    path("webhooks/", web_views.webhook_list, name="webhooks"),
    path("webhooks/<uuid:pk>/", web_views.webhook_detail, name="webhook"),
    path("webhooks/<uuid:pk>/toggle/", web_views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<uuid:pk>/ping/", web_views.webhook_ping_view, name="webhook_ping"),
    path("webhooks/<uuid:pk>/delete/", web_views.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<uuid:pk>/deliveries/<uuid:delivery_pk>/redeliver/",
        web_views.webhook_redeliver_view,
        name="redeliver",
    ),
]
