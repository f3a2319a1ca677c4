"""Django's Redis cache, degraded to a cache that remembers nothing while Redis is down.

Everything Stratum keeps in the cache can be recomputed (access facts, filter counts, the
active-webhooks list) or is a soft limit (API throttles, audit de-duplication), so a Redis
outage must cost speed, not answers: pages and the API keep serving from the database
(issue 16). Each failure is logged; nothing is retried here.
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_DOWN = (RedisConnectionError, RedisTimeoutError)


def _log(operation: str) -> None:
    logger.warning("cache %s failed: Redis unavailable, answering without it", operation)


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _DOWN:
            _log("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except _DOWN:
            _log("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except _DOWN:
            _log("has_key")
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except _DOWN:
            _log("add")
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except _DOWN:
            _log("set")

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except _DOWN:
            _log("set_many")
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except _DOWN:
            _log("touch")
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except _DOWN:
            _log("incr")
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).") from None

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except _DOWN:
            _log("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except _DOWN:
            _log("delete_many")

    def clear(self):
        try:
            return super().clear()
        except _DOWN:
            _log("clear")
            return False
