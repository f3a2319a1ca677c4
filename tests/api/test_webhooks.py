"""Webhooks against a real local HTTP receiver (http.server in a thread), not a mock."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from apps.api.models import WebhookDelivery, WebhookEndpoint
from apps.api.tasks import webhook_deliver
from apps.api.webhooks import sign, verify, webhook_endpoint_create, webhooks_dispatch_all
from apps.core.models import AccessTier
from apps.notifications.models import Notification
from portal.celery import app as celery_app
from tests.datasets.factories import DatasetFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """Answers 500 to the first `failures` attempts of each delivery id, then 200."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                delivery = self.headers["Stratum-Delivery"]
                seen = sum(1 for r in receiver.requests if r["delivery"] == delivery)
                status = 500 if seen < receiver.failures else 200
                receiver.requests.append(
                    {
                        "delivery": delivery,
                        "signature": self.headers["Stratum-Signature"],
                        "event": self.headers["Stratum-Event"],
                        "body": body,
                        "status": status,
                    }
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def eager_celery(settings):
    settings.STRATUM_WEBHOOK_ALLOW_INSECURE = True
    settings.STRATUM_WEBHOOK_RETRY_BASE_SECONDS = 0
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _register(organisation, actor, url):
    endpoint, secret = webhook_endpoint_create(organisation=organisation, actor=actor, url=url)
    return endpoint, secret


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt_once(
    eager_celery, coordinator, lead_org, project
):
    with Receiver(failures=2) as receiver:
        endpoint, secret = _register(lead_org, coordinator, receiver.url)
        dataset = DatasetFactory(project=project, steward_organisation=lead_org, title="Sputum")
        assert webhooks_dispatch_all() >= 1
        delivery = WebhookDelivery.objects.get(endpoint=endpoint, event="dataset.upsert")
        webhook_deliver.apply(args=[str(delivery.pk)])
        webhook_deliver.apply(args=[str(delivery.pk)])  # a duplicate message changes nothing

    attempts = [r for r in receiver.requests if r["delivery"] == str(delivery.pk)]
    assert [r["status"] for r in attempts] == [500, 500, 200]
    delivered = [r for r in receiver.requests if r["status"] == 200]
    ids = [r["delivery"] for r in delivered]
    assert len(ids) == len(set(ids)), "a delivery id reached the receiver twice"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 3
    final = attempts[-1]
    assert verify(secret, final["signature"], final["body"])
    payload = json.loads(final["body"])
    assert payload["resource"] == "dataset" and payload["id"] == str(dataset.pk)
    assert payload["data"]["title"] == "Sputum"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_tampered_body_or_an_old_timestamp_fails_verification():
    body = b'{"a":1}'
    header = sign("whsec_x", 1_700_000_000, body)
    assert verify("whsec_x", header, body, now=1_700_000_010)
    assert not verify("whsec_x", header, b'{"a":2}', now=1_700_000_010)
    assert not verify("whsec_x", header, body, now=1_700_001_000)
    assert not verify("whsec_other", header, body, now=1_700_000_010)


def test_events_carry_no_data_of_objects_the_organisation_may_not_see(
    eager_celery, coordinator, lead_org, other_org
):
    secret_project = ProjectFactory(acronym="SECRET", summary_visibility="members")
    with Receiver() as receiver:
        endpoint, _ = _register(lead_org, coordinator, receiver.url)
        DatasetFactory(
            project=secret_project,
            steward_organisation=other_org,
            title="Confidential cohort",
            access_tier=AccessTier.CONSORTIUM,
        )
        webhooks_dispatch_all()
        for delivery in WebhookDelivery.objects.filter(endpoint=endpoint):
            webhook_deliver.apply(args=[str(delivery.pk)])
    bodies = b"".join(r["body"] for r in receiver.requests)
    assert b"Confidential cohort" not in bodies
    for r in receiver.requests:
        payload = json.loads(r["body"])
        if payload["resource"] == "dataset":
            assert payload["op"] == "tombstone" and payload["data"] is None


def test_an_endpoint_failing_for_24_hours_is_disabled_and_its_admins_told(
    eager_celery, coordinator, lead_org, project
):
    with Receiver(failures=100) as receiver:
        endpoint, _ = _register(lead_org, coordinator, receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(hours=24, minutes=1)
        )
        DatasetFactory(project=project, steward_organisation=lead_org)
        webhooks_dispatch_all()
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        webhook_deliver.apply(args=[str(delivery.pk)])
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert Notification.objects.filter(recipient=coordinator, subject__contains="Webhook").exists()


def test_a_manual_redelivery_sends_the_same_event_under_a_new_delivery_id(
    eager_celery, coordinator, lead_org, project
):
    from apps.api.webhooks import webhook_redeliver

    with Receiver() as receiver:
        endpoint, _ = _register(lead_org, coordinator, receiver.url)
        DatasetFactory(project=project, steward_organisation=lead_org)
        webhooks_dispatch_all()
        original = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        webhook_deliver.apply(args=[str(original.pk)])
        copy = webhook_redeliver(delivery=original, actor=coordinator)
        webhook_deliver.apply(args=[str(copy.pk)])
    sent = [r for r in receiver.requests if r["delivery"] in (str(original.pk), str(copy.pk))]
    assert [r["delivery"] for r in sent] == [str(original.pk), str(copy.pk)]
    assert sent[0]["body"] == sent[1]["body"] or json.loads(sent[0]["body"]) == json.loads(
        sent[1]["body"]
    )


def test_dispatching_twice_creates_no_duplicate_deliveries(
    eager_celery, coordinator, lead_org, project
):
    endpoint, _ = _register(lead_org, coordinator, "http://127.0.0.1:9/never")
    DatasetFactory(project=project, steward_organisation=lead_org)
    first = webhooks_dispatch_all()
    assert first >= 1
    assert webhooks_dispatch_all() == 0
    entries = WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
        "change_entry_id", flat=True
    )
    assert len(entries) == len(set(entries))


def test_the_documented_verification_snippet_verifies_a_real_signature():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(snippet.strip().splitlines()) <= 10
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own documentation)
    body = b'{"event":"dataset.upsert"}'
    header = sign("whsec_doc", int(__import__("time").time()), body)
    assert namespace["verify"]("whsec_doc", header, body)
    assert not namespace["verify"]("whsec_doc", header, body + b" ")


def test_a_test_ping_from_the_endpoints_page_is_signed_and_shown_in_its_log(
    eager_celery, client, coordinator, lead_org, outsider, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    with Receiver() as receiver:
        endpoint, secret = _register(lead_org, coordinator, receiver.url)
        client.force_login(coordinator)
        page = client.get(reverse("tokens:webhook", args=[endpoint.pk])).content.decode()
        assert "Send a test delivery" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("tokens:webhook_ping", args=[endpoint.pk]))
    assert response.status_code == 302
    (sent,) = receiver.requests
    assert sent["event"] == "ping" and sent["status"] == 200
    assert verify(secret, sent["signature"], sent["body"])
    assert json.loads(sent["body"])["event"] == "ping"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event="ping")
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    log = client.get(reverse("tokens:webhook", args=[endpoint.pk]), follow=True)
    html = log.content.decode()
    assert str(delivery.pk) in html and "<td>ping</td>" in html

    client.force_login(outsider)
    assert client.post(reverse("tokens:webhook_ping", args=[endpoint.pk])).status_code == 404
    assert WebhookDelivery.objects.filter(event="ping").count() == 1
