"""A flood guard for public writes (votes, inquiries, notifications): one token bucket per client and route.

With ``GOGAEK_REDIS_URL`` set the buckets live in Redis (``RedisBuckets``), so all app
processes together allow the configured rate, not once per process. Without Redis, or while
it is unreachable, each process keeps its own buckets like the chat's
(``gogaek.realtime.ratelimit``): a Redis outage must not fail requests, and a limit per process
is still enough to stop one client hammering a form. A distributed attack belongs to the
reverse proxy in front.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request

from gogaek.config import Settings
from gogaek.deps import CUSTOMER_SESSION_KEY
from gogaek.errors import ProblemError
from gogaek.identity.customer_tokens import verify_request_token
from gogaek.realtime.hub import RedisHub
from gogaek.realtime.ratelimit import TokenBucket
from gogaek.web.i18n import N_

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

MAX_TRACKED_CLIENTS = 50_000
# A flood guard must not make a request wait on a hung Redis for long; after a failure the
# process's own buckets answer for a while before Redis is asked again.
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 2.0

# The same bucket as ``TokenBucket``, read and written in one atomic step. Redis's clock, not
# the app's: processes on hosts whose clocks disagree still refill one bucket at one rate. The
# key expires once the bucket would be full again, so idle clients leave nothing behind.
# KEYS[1] the bucket; ARGV rate per second, burst, expiry in ms. Returns the seconds to wait.
BUCKET_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""


class RateLimiter:
    """Token buckets keyed by (route, client); the longest-idle bucket is dropped beyond the cap,
    and an idle bucket is full again anyway, so forgetting it changes nothing."""

    def __init__(self, rate_per_second: float, burst: int, max_keys: int = MAX_TRACKED_CLIENTS) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()

    def take(self, route: str, client: str) -> float:
        """0 when allowed; otherwise the seconds until this client may write here again."""
        key = (route, client)
        bucket = self._buckets.pop(key, None) or TokenBucket(self.rate, self.burst)
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return bucket.take()


def client_key(request: Request) -> str:
    """The signed-in customer (page session or host token) when there is one, else the address:
    many phones share one carrier address, so a customer is not limited by their neighbours.

    A host token counts by its verified subject, not by its text: a host app that mints a new
    token for every request (each has its own ``jti`` and ``iat``) would otherwise get a fresh
    bucket each time. A bearer that is not a valid customer token (a staff token, garbage)
    keeps a bucket of its own text, so a staff member is not limited by their office's address.
    """
    customer_id = request.session.get(CUSTOMER_SESSION_KEY)
    if isinstance(customer_id, int):
        return f"customer:{customer_id}"
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer":
            try:
                claims = verify_request_token(request, token.strip(), request.app.state.settings)
            except ProblemError:
                pass
            else:
                return "host:" + hashlib.sha256(claims.sub.encode()).hexdigest()[:32]
        return "bearer:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    return "ip:" + (request.client.host if request.client else "unknown")


class RedisBuckets:
    """The same buckets in Redis, shared by every process; one script call per request."""

    def __init__(self, redis: Redis, prefix: str, rate_per_second: float, burst: int) -> None:
        from redis.exceptions import RedisError

        self._unreachable: tuple[type[Exception], ...] = (RedisError, OSError)  # OSError covers timeouts
        self._script = redis.register_script(BUCKET_SCRIPT)  # EVALSHA, loaded again after a Redis restart
        self._prefix = prefix + "ratelimit:"
        self._args = (rate_per_second, burst, math.ceil(burst / rate_per_second * 1000) + 1000)
        self._retry_at = 0.0
        self._reachable = True

    async def take(self, route: str, client: str) -> float | None:
        """As ``RateLimiter.take``; None when Redis cannot answer, so the caller decides locally."""
        if time.monotonic() < self._retry_at:
            return None
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                wait = await self._script(keys=[f"{self._prefix}{client}:{route}"], args=self._args)
        except self._unreachable as exc:
            self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            if self._reachable:  # once per outage, not once per request
                log.warning("redis unreachable (%s); public-write limits are per process until it is back", exc)
            self._reachable = False
            return None
        if not self._reachable:
            log.warning("redis is back; public-write limits are shared between processes again")
            self._reachable = True
        return float(wait)


@dataclass
class PublicWriteLimits:
    """The process's own buckets always exist: they answer without Redis and during its outages."""

    local: RateLimiter
    shared: RedisBuckets | None


def _limits(app: FastAPI) -> PublicWriteLimits:
    """Made on first use so that the app factory needs no change; the shared buckets borrow the
    chat hub's Redis connection, which the app's shutdown already closes."""
    limits: PublicWriteLimits | None = getattr(app.state, "public_write_limits", None)
    if limits is None:
        settings: Settings = app.state.settings
        rate, burst = settings.public_write_rate_per_second, settings.public_write_burst
        hub = app.state.chat.hub
        shared = RedisBuckets(hub.client, settings.redis_prefix, rate, burst) if isinstance(hub, RedisHub) else None
        limits = PublicWriteLimits(RateLimiter(rate, burst), shared)
        app.state.public_write_limits = limits
    return limits


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


async def limit_public_writes(request: Request) -> None:
    """Route dependency: 429 ``rate_limited`` with ``Retry-After`` once a client's burst is spent."""
    limits = _limits(request.app)
    route, client = _route_name(request), client_key(request)
    wait = await limits.shared.take(route, client) if limits.shared is not None else None
    if wait is None:
        wait = limits.local.take(route, client)
    if wait > 0:
        raise ProblemError(
            429,
            "rate_limited",
            N_("요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


RateLimited = Depends(limit_public_writes)
