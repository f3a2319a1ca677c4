import pytest

from apps.notifications import outbox


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """E-mails queued by milestone notices are recorded, not published to Redis."""
    published: list[str] = []
    monkeypatch.setattr(outbox, "outbox_enqueue", lambda ids: published.extend(map(str, ids)))
    return published
