"""The API's rate limits and a token's use of the day, asked of Redis in one round trip.

Every API request is limited per client address (`ip`) and, with a token, per token
(`token`); the first use of a token from an address each day is audited. DRF's two throttles
and the audit's de-duplication cost five Redis calls (each throttle reads its history and
writes it back, pickled; the audit adds a key), and under load the pickled history of a busy
token grows with the rate. Here one Lua script does all of it atomically:

- each limit is a sliding log in a sorted set (score: the request's time), exactly DRF's
  `SimpleRateThrottle`: entries older than the window are dropped, a request is refused when
  the window already holds `limit` entries (a refused request is not recorded), and the wait
  is DRF's (`Retry-After`: until the oldest entry leaves the window);
- the token's use is `SET NX EX` on the key `token_use_record` would `cache.add`.

The answer is asked once per request (by token authentication when a token is presented,
else by the throttle) and kept on the request: so a token request counts against its limits
from the moment it is authenticated, even if it is then refused (403), as a brute-force run
of writes without the scope should. Without Redis (SQLite development, the embedded cache)
the same rules run on the Django cache API, call by call, as DRF did. A Redis error lets the
request through unaudited, as the resilient cache does (`apps.core.cache`).
"""

import logging
import os
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from apps.accounts.models import ApiToken
from apps.security.services import TOKEN_USE_AUDIT_WINDOW, token_use_audit, token_use_key

logger = logging.getLogger(__name__)
timer = time.time  # module-level, so a test can move the clock

# KEYS: the limits' sorted sets, then the use key (when ARGV[2] is 1).
# ARGV: now, whether there is a use key, its lifetime, a member unique to this request, then
# per limit its size and duration. Answers per limit: allowed (1/0), entries in the window
# before this request, the oldest entry's time; then 1 when the use key was new.
_SCRIPT = """
local now = tonumber(ARGV[1])
local with_use = ARGV[2] == '1'
local limits = #KEYS - (with_use and 1 or 0)
local answer = {}
for i = 1, limits do
  local key = KEYS[i]
  local size = tonumber(ARGV[3 + 2 * i])
  local duration = tonumber(ARGV[4 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
  local count = redis.call('ZCARD', key)
  local oldest = ''
  if count > 0 then
    oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
  end
  if count < size then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('EXPIRE', key, duration)
    table.insert(answer, 1)
  else
    table.insert(answer, 0)
  end
  table.insert(answer, count)
  table.insert(answer, oldest)
end
local first = 0
if with_use and redis.call('SET', KEYS[#KEYS], 1, 'NX', 'EX', ARGV[3]) then
  first = 1
end
table.insert(answer, first)
return answer
"""
_script = Script(None, _SCRIPT.encode())  # bytes: its SHA needs no client


@dataclass(frozen=True)
class Limit:
    key: str  # cache key (before the cache's prefix)
    size: int
    duration: int


@dataclass(frozen=True)
class Verdict:
    waits: tuple[float | None, ...]  # per limit refused: DRF's wait (None: unknown)
    first_use: bool  # this token's first use from this address in the audit window

    @property
    def allowed(self) -> bool:
        return not self.waits


def _limit(scope: str, ident) -> Limit | None:
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None:
        return None
    # DRF's own reading of "1200/min" (`parse_rate` uses nothing of its instance).
    size, duration = SimpleRateThrottle.parse_rate(None, rate)
    return Limit(f"api-throttle:{scope}:{ident}", size, duration)


def _limits(request, token) -> list[Limit]:
    limits = [_limit("ip", BaseThrottle().get_ident(request))]
    if token is not None:
        limits.insert(0, _limit("token", token.pk))
    return [limit for limit in limits if limit is not None]


def _wait(limit: Limit, now: float, count: int, oldest: float | None) -> float | None:
    """DRF's `SimpleRateThrottle.wait()` for a refused request."""
    remaining = limit.duration - (now - oldest) if oldest is not None else limit.duration
    available = limit.size - count + 1
    return remaining / available if available > 0 else None


def _ask_redis(cache: RedisCache, limits: list[Limit], use_key: str | None, now: float) -> Verdict:
    keys = [cache.make_key(limit.key) for limit in limits]
    if use_key is not None:
        keys.append(cache.make_key(use_key))
    args = [now, int(use_key is not None), TOKEN_USE_AUDIT_WINDOW, f"{now}:{os.urandom(6).hex()}"]
    for limit in limits:
        args += [limit.size, limit.duration]
    # Django's Redis cache exposes its client only privately; the connection pool is its own.
    client = cache._cache.get_client(write=True)
    answer = _script(keys=keys, args=args, client=client)
    waits = []
    for index, limit in enumerate(limits):
        allowed, count, oldest = answer[3 * index : 3 * index + 3]
        if not int(allowed):
            oldest = float(oldest) if oldest else None
            waits.append(_wait(limit, now, int(count), oldest))
    return Verdict(waits=tuple(waits), first_use=bool(int(answer[-1])))


def _ask_cache(cache, limits: list[Limit], use_key: str | None, now: float) -> Verdict:
    """The same rules through the cache API, as DRF's throttles and `cache.add` did."""
    waits = []
    for limit in limits:
        history = cache.get(limit.key, [])
        while history and history[-1] <= now - limit.duration:
            history.pop()
        if len(history) >= limit.size:
            waits.append(_wait(limit, now, len(history), history[-1] if history else None))
            continue
        history.insert(0, now)
        cache.set(limit.key, history, limit.duration)
    first = use_key is not None and cache.add(use_key, 1, TOKEN_USE_AUDIT_WINDOW)
    return Verdict(waits=tuple(waits), first_use=bool(first))


def request_verdict(request, token=None) -> Verdict:
    """The request's limits and, with `token`, its use: asked once, kept on the request."""
    verdict = getattr(request, "_api_verdict", None)
    if verdict is not None:
        return verdict
    limits = _limits(request, token)
    use_key = token_use_key(token=token, request=request) if token is not None else None
    now = timer()
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        try:
            verdict = _ask_redis(cache, limits, use_key, now)
        except (RedisConnectionError, RedisTimeoutError):
            logger.warning("API limits unchecked: Redis unavailable, answering without it")
            verdict = Verdict(waits=(), first_use=False)
    else:
        verdict = _ask_cache(cache, limits, use_key, now)
    request._api_verdict = verdict
    if verdict.first_use:
        token_use_audit(token=token, request=request)
    return verdict


class ApiRateThrottle(BaseThrottle):
    """Per token and per client address (`DEFAULT_THROTTLE_RATES` "token" and "ip")."""

    def allow_request(self, request, view) -> bool:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        self.verdict = request_verdict(request, token)
        return self.verdict.allowed

    def wait(self) -> float | None:
        known = [wait for wait in self.verdict.waits if wait is not None]
        return max(known, default=None)
