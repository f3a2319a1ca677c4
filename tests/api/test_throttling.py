"""API rate limits per token and per client address, and a token's daily use, asked of Redis
in one round trip (apps.api.throttling), with DRF's answers: 429, `Retry-After`."""

import threading

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from apps.api import throttling
from apps.audit.models import AuditEvent
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"
# What a new pooled connection sends once (the monitor takes one of the pool's connections).
CONNECTION_SETUP = {"HELLO", "SELECT", "CLIENT", "AUTH"}


@pytest.fixture
def rates(settings):
    def set_rates(token: str, ip: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"token": token, "ip": ip},
        }

    return set_rates


def test_a_token_over_its_rate_gets_429_and_another_token_does_not(rates, partner_member):
    rates(token="2/min", ip="100/min")
    first = client_for(partner_member)
    assert [first.get(PROJECTS).status_code for _ in range(2)] == [200, 200]
    refused = first.get(PROJECTS)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert client_for(partner_member).get(PROJECTS).status_code == 200


def test_an_address_over_its_rate_gets_429_whoever_asks(rates, partner_member):
    rates(token="100/min", ip="3/min")
    address = {"REMOTE_ADDR": "192.0.2.77"}
    anonymous = client_for()
    assert [anonymous.get(PROJECTS, **address).status_code for _ in range(2)] == [200, 200]
    assert client_for(partner_member).get(PROJECTS, **address).status_code == 200
    refused = client_for(partner_member).get(PROJECTS, **address)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert anonymous.get(PROJECTS, REMOTE_ADDR="192.0.2.78").status_code == 200


def test_the_window_slides_as_drf_s_does(rates, partner_member, monkeypatch):
    """A refused request is not counted; the wait is until the oldest request leaves the
    window, and then one more request is let through."""
    rates(token="2/min", ip="100/min")
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling, "timer", lambda: clock[0])
    client = client_for(partner_member)
    assert client.get(PROJECTS).status_code == 200
    clock[0] += 20
    assert client.get(PROJECTS).status_code == 200
    clock[0] += 10
    assert client.get(PROJECTS)["Retry-After"] == "30"  # the first leaves at +60
    clock[0] += 30
    assert client.get(PROJECTS).status_code == 200
    assert client.get(PROJECTS)["Retry-After"] == "20"  # the second leaves at +80


def test_token_use_is_audited_once_per_address(partner_member):
    client = client_for(partner_member)
    for _ in range(3):
        client.get(PROJECTS)
    client.get(PROJECTS, REMOTE_ADDR="192.0.2.9")
    events = AuditEvent.objects.filter(action="api_token.use", actor=partner_member)
    assert sorted(events.values_list("ip_address", flat=True)) == ["127.0.0.1", "192.0.2.9"]


def _commands_sent(cache, action) -> list[str]:
    """The commands clients sent to the cache's Redis while `action` ran (MONITOR), without
    those a script ran inside Redis and a new connection's handshake. MONITOR shows the whole
    server: only this test's cache database counts (another xdist worker uses another)."""
    client = cache._cache.get_client(write=True)
    database = int(client.connection_pool.connection_kwargs.get("db") or 0)
    seen, ready = [], threading.Event()

    def listen():
        with client.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if command["command"] == "ECHO monitor-done":
                    return
                if int(command.get("db", database)) != database:
                    continue
                name = command["command"].split()[0].upper()
                if command.get("client_type") != "lua" and name not in CONNECTION_SETUP:
                    seen.append(name)

    listener = threading.Thread(target=listen)
    listener.start()
    ready.wait(5)
    action()
    client.echo("monitor-done")
    listener.join(10)
    return seen


def test_a_token_request_asks_redis_once_for_limits_and_use(partner_member):
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        pytest.skip("the one round trip is Redis's (the suite runs with Redis in CI)")
    client = client_for(partner_member)
    assert client.get(PROJECTS).status_code == 200  # the facts of the person, cached
    sent = _commands_sent(cache, lambda: client.get(PROJECTS, REMOTE_ADDR="192.0.2.10"))
    assert sent == ["EVALSHA"], sent


def test_without_redis_the_cache_api_gives_the_same_answers():
    """The path for caches other than Redis (SQLite development) keeps DRF's rules: both
    paths, fed the same requests at the same moments, answer alike."""
    from django.core.cache.backends.locmem import LocMemCache

    redis_cache = caches["default"]
    if not isinstance(redis_cache, RedisCache):
        pytest.skip("compares with Redis")
    limits = [throttling.Limit("api-throttle:test:both-paths", 2, 60)]
    local = LocMemCache("both-paths", {})
    answers = {"redis": [], "cache": []}
    for moment in (0, 10, 20, 59, 61, 62, 75):
        now = 5_000_000.0 + moment
        use = "security:token-use:both-paths" if moment == 0 else None
        answers["redis"].append(throttling._ask_redis(redis_cache, limits, use, now))
        answers["cache"].append(throttling._ask_cache(local, limits, use, now))
    assert answers["redis"] == answers["cache"]
    assert [verdict.allowed for verdict in answers["cache"]] == [
        True,
        True,
        False,
        False,
        True,
        False,
        True,
    ]
    assert answers["cache"][0].first_use and answers["cache"][2].waits == (40.0,)
