"""A flood guard for public writes (votes, inquiries, notifications): one token bucket per client and route.

Buckets live in the process, like the chat's (``gogaek.realtime.ratelimit``), so each app
process allows the configured rate on its own: enough to stop one client hammering a form,
not a distributed attack, which belongs to the reverse proxy in front.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict

from fastapi import Depends, FastAPI, Request

from gogaek.config import Settings
from gogaek.deps import CUSTOMER_SESSION_KEY
from gogaek.errors import ProblemError
from gogaek.realtime.ratelimit import TokenBucket

MAX_TRACKED_CLIENTS = 50_000


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
    """The signed-in customer (page session or bearer token) when there is one, else the address:
    many phones share one carrier address, so a customer is not limited by their neighbours."""
    customer_id = request.session.get(CUSTOMER_SESSION_KEY)
    if isinstance(customer_id, int):
        return f"customer:{customer_id}"
    authorization = request.headers.get("authorization")
    if authorization:
        return "bearer:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    return "ip:" + (request.client.host if request.client else "unknown")


def _limiter(app: FastAPI) -> RateLimiter:
    """One limiter per app, made on first use so that the app factory needs no change."""
    limiter: RateLimiter | None = getattr(app.state, "public_write_limiter", None)
    if limiter is None:
        settings: Settings = app.state.settings
        limiter = RateLimiter(settings.public_write_rate_per_second, settings.public_write_burst)
        app.state.public_write_limiter = limiter
    return limiter


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


async def limit_public_writes(request: Request) -> None:
    """Route dependency: 429 ``rate_limited`` with ``Retry-After`` once a client's burst is spent."""
    wait = _limiter(request.app).take(_route_name(request), client_key(request))
    if wait > 0:
        raise ProblemError(
            429,
            "rate_limited",
            "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요. (Too many requests; try again shortly)",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


RateLimited = Depends(limit_public_writes)
