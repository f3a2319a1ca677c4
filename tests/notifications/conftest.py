import pytest

from apps.notifications import outbox


@pytest.fixture
def queued(monkeypatch):
    """The outbox ids that would have been published to the broker after commit."""
    published: list[str] = []
    monkeypatch.setattr(outbox, "outbox_enqueue", lambda ids: published.extend(map(str, ids)))
    return published


@pytest.fixture
def smtp_sink():
    """A real SMTP server (aiosmtpd) on a free local port, recording every message."""
    from tests.notifications.smtp_sink import SmtpSink

    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
