"""The hub on its own: in-process delivery, and Redis pub/sub between two hubs like two processes."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
import redis

from gogaek.realtime.hub import LocalHub, RedisHub
from gogaek.realtime.ratelimit import TokenBucket
from tests.conftest import IN_CI

REDIS_URL = os.environ.get("GOGAEK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Inbox:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.arrived = asyncio.Event()

    def deliver(self, channel: str, event: dict[str, Any]) -> None:
        self.events.append((channel, event))
        self.arrived.set()

    async def until(self, count: int) -> None:
        while True:
            self.arrived.clear()
            if len(self.events) >= count:
                return
            await self.arrived.wait()


class Broken:
    def deliver(self, channel: str, event: dict[str, Any]) -> None:
        raise RuntimeError("a broken connection")


async def test_local_hub_delivers_to_subscribers_only_and_survives_a_broken_inbox() -> None:
    hub = LocalHub()
    listening, elsewhere = Inbox(), Inbox()
    await hub.subscribe("chat:1", Broken())
    await hub.subscribe("chat:1", listening)
    await hub.subscribe("chat:2", elsewhere)
    await hub.publish("chat:1", {"type": "typing"})
    await hub.unsubscribe("chat:1", listening)
    await hub.publish("chat:1", {"type": "typing", "again": True})
    assert listening.events == [("chat:1", {"type": "typing"})]
    assert elsewhere.events == []


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"Redis is required under CI but {REDIS_URL} is unreachable")
        pytest.skip("Redis not reachable (set CI=true to make this an error)")
    return REDIS_URL


async def test_redis_hubs_in_two_processes_hear_each_other_once(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    first, second = RedisHub(redis_url, prefix), RedisHub(redis_url, prefix)
    await first.start()
    await second.start()
    try:
        here, there = Inbox(), Inbox()
        await first.subscribe("chat:7", here)
        await second.subscribe("chat:7", there)
        await asyncio.sleep(0.2)  # SUBSCRIBE is confirmed asynchronously
        for n in range(5):
            await first.publish("chat:7", {"type": "message", "seq": n, "text": "안녕하세요"})
        async with asyncio.timeout(5):
            await here.until(5)
            await there.until(5)
        assert [e["seq"] for _, e in here.events] == [e["seq"] for _, e in there.events] == [0, 1, 2, 3, 4]
        assert here.events[0][1]["text"] == "안녕하세요"
        await second.unsubscribe("chat:7", there)
        await first.publish("chat:7", {"type": "typing"})
        async with asyncio.timeout(5):
            await here.until(6)
        await asyncio.sleep(0.2)
        assert len(there.events) == 5
    finally:
        await first.stop()
        await second.stop()


def test_token_bucket_allows_a_burst_then_paces() -> None:
    bucket = TokenBucket(rate_per_second=2.0, burst=3)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take()
    assert 0 < wait <= 0.5
