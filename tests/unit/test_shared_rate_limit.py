"""The public-write buckets in Redis: shared by processes, expiring when idle, per process while Redis is down.

Two ``RedisBuckets`` on two connections stand for two app processes. The outage tests stop a
private ``redis-server`` of their own, never the shared one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from shutil import which

import httpx
import pytest
from redis.asyncio import Redis

from gogaek.config import Settings
from gogaek.web.ratelimit import RedisBuckets
from tests.reliability.processes import PrivateRedis, require
from tests.reliability.scenarios import poll_until
from tests.servers import REDIS_URL, require_redis

BURST = 4
SLOW = 0.001  # tokens per second: nothing refills during a test
ROUTE = "POST /api/v1/inquiries"
VOTES = "/api/v1/faq/articles/1/votes"
RECOVERY_SECONDS = 30.0


def random_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def shared_redis() -> AsyncIterator[tuple[Redis, Redis]]:
    """Two connections to the shared Redis, one per pretend process."""
    require_redis()
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    yield first, second
    await first.aclose()
    await second.aclose()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    require(which("redis-server") is not None, "redis-server")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


async def test_two_processes_together_get_one_burst(shared_redis: tuple[Redis, Redis]) -> None:
    prefix = random_prefix()
    one, other = (RedisBuckets(redis, prefix, SLOW, BURST) for redis in shared_redis)
    waits = [await (one if n % 2 else other).take(ROUTE, "ip:10.0.0.1") for n in range(BURST + 2)]
    assert waits[:BURST] == [0.0] * BURST
    assert all(wait is not None and wait > 1 for wait in waits[BURST:]), waits
    assert await one.take(ROUTE, "ip:10.0.0.2") == 0.0  # another client
    assert await other.take("POST /api/v1/faq/articles/{article_id}/votes", "ip:10.0.0.1") == 0.0  # another route


async def test_a_refused_client_may_write_again_after_the_wait(shared_redis: tuple[Redis, Redis]) -> None:
    buckets = RedisBuckets(shared_redis[0], random_prefix(), 20.0, 1)
    assert await buckets.take(ROUTE, "customer:1") == 0.0
    wait = await buckets.take(ROUTE, "customer:1")
    assert wait is not None and 0 < wait <= 1 / 20.0
    await asyncio.sleep(wait)
    assert await buckets.take(ROUTE, "customer:1") == 0.0


async def test_an_idle_bucket_expires_once_it_would_be_full(shared_redis: tuple[Redis, Redis]) -> None:
    redis, prefix = shared_redis[0], random_prefix()
    await RedisBuckets(redis, prefix, 0.5, 20).take(ROUTE, "customer:7")
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 1
    assert 0 < await redis.pttl(keys[0]) <= (20 / 0.5 + 1) * 1000


async def test_redis_down_means_decide_locally_logged_once_then_redis_again(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gogaek.web.ratelimit")
    redis = Redis.from_url(private_redis.url)
    buckets = RedisBuckets(redis, random_prefix(), SLOW, BURST)
    try:
        assert await buckets.take(ROUTE, "ip:10.0.0.1") == 0.0
        private_redis.stop()
        assert [await buckets.take(ROUTE, "ip:10.0.0.1") for _ in range(3)] == [None] * 3
        private_redis.start()  # empty: the script must be loaded again

        async def answered() -> bool:
            return await buckets.take(ROUTE, "ip:10.0.0.1") is not None

        async with asyncio.timeout(RECOVERY_SECONDS):
            await poll_until(answered, 0.1)
        assert await buckets.take(ROUTE, "ip:10.0.0.1") == 0.0  # a fresh bucket: Redis kept nothing
    finally:
        await redis.aclose()
    messages = [record.getMessage() for record in caplog.records]
    assert [m.partition(" (")[0].partition(";")[0] for m in messages] == ["redis unreachable", "redis is back"]


@pytest.fixture
def settings(settings: Settings, private_redis: PrivateRedis) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": private_redis.url,
            "redis_prefix": random_prefix(),
            "public_write_burst": BURST,
            "public_write_rate_per_second": SLOW,
        }
    )


async def test_the_app_limits_in_redis_and_keeps_answering_without_it(
    client: httpx.AsyncClient, settings: Settings, private_redis: PrivateRedis
) -> None:
    """Same 429 as before; while Redis is down the process's own bucket answers instead, never a 500."""
    answers = [(await client.post(VOTES, json={})).status_code for _ in range(BURST)]
    assert 429 not in answers
    refused = await client.post(VOTES, json={})
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    redis = Redis.from_url(private_redis.url)
    try:
        assert [key async for key in redis.scan_iter(match=f"{settings.redis_prefix}ratelimit:*")]
    finally:
        await redis.aclose()

    private_redis.stop()
    local = [(await client.post(VOTES, json={})).status_code for _ in range(BURST + 1)]
    assert 429 not in local[:BURST] and 500 not in local
    assert local[BURST] == 429
