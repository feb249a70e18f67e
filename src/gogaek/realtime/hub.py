"""Channels of JSON events that connections subscribe to.

``LocalHub`` delivers inside one process. ``RedisHub`` sends every event through Redis pub/sub,
including to subscribers in the publishing process, so all processes see one order per
publisher and nobody gets an event twice. Events are hints that something committed; the
database stays the record, so a subscriber that misses one (a Redis blip, a full inbox)
catches up from the database by sequence number.

While Redis is down ``RedisHub`` falls back to delivering inside its own process, so chats
whose customer and agent share a process keep flowing; its listener reconnects and
subscribes again by itself, and ``healthy`` (shown in /readyz) says whether Redis answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 1.0
RECONNECT_SECONDS = 0.5

Event = dict[str, Any]


class Inbox(Protocol):
    """What a connection gives the hub to be told about events; must not block."""

    def deliver(self, channel: str, event: Event) -> None: ...


class Hub(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, channel: str, event: Event) -> None: ...

    async def subscribe(self, channel: str, inbox: Inbox) -> None: ...

    async def unsubscribe(self, channel: str, inbox: Inbox) -> None: ...

    async def healthy(self) -> bool: ...


class _Subscribers:
    """Who listens to what in this process."""

    def __init__(self) -> None:
        self._by_channel: defaultdict[str, set[Inbox]] = defaultdict(set)

    def add(self, channel: str, inbox: Inbox) -> bool:
        """Adds; True when the channel had no listener before."""
        first = channel not in self._by_channel
        self._by_channel[channel].add(inbox)
        return first

    def remove(self, channel: str, inbox: Inbox) -> bool:
        """Removes; True when the channel has no listener left."""
        listeners = self._by_channel.get(channel)
        if listeners is None:
            return False
        listeners.discard(inbox)
        if listeners:
            return False
        del self._by_channel[channel]
        return True

    def dispatch(self, channel: str, event: Event) -> None:
        for inbox in tuple(self._by_channel.get(channel, ())):
            try:
                inbox.deliver(channel, event)
            except Exception:  # one broken connection must not starve the others
                log.exception("inbox failed on %s", channel)

    @property
    def channels(self) -> list[str]:
        return list(self._by_channel)


class LocalHub:
    """Everything in one process: publishing is a direct hand-over."""

    def __init__(self) -> None:
        self._subscribers = _Subscribers()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, channel: str, event: Event) -> None:
        self._subscribers.dispatch(channel, event)

    async def subscribe(self, channel: str, inbox: Inbox) -> None:
        self._subscribers.add(channel, inbox)

    async def unsubscribe(self, channel: str, inbox: Inbox) -> None:
        self._subscribers.remove(channel, inbox)

    async def healthy(self) -> bool:
        return True


class RedisHub:
    """Fan-out across app processes over Redis pub/sub (one subscription per channel per process)."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        self._unreachable: tuple[type[Exception], ...] = (RedisError, OSError)
        self._prefix = prefix
        self._redis: Redis = Redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._subscribers = _Subscribers()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._listening = True  # False from a failed Redis call until the listener reads again

    @property
    def client(self) -> Redis:
        """The connection pool, for other users of Redis in this process (the shared rate limit);
        closed by ``stop`` with the rest of the hub."""
        return self._redis

    async def start(self) -> None:
        await self._redis.ping()  # fail at start-up, not on the first message
        self._listener = asyncio.create_task(self._listen(), name="redis-hub-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._pubsub.aclose()
        await self._redis.aclose()

    async def publish(self, channel: str, event: Event) -> None:
        """Through Redis; when Redis is unreachable, to this process's subscribers only."""
        try:
            await self._redis.publish(self._prefix + channel, json.dumps(event, ensure_ascii=False))
        except self._unreachable as exc:
            self._lost(exc)
            self._subscribers.dispatch(channel, event)

    async def healthy(self) -> bool:
        """Redis answers a ping and the listener is subscribed again after any outage."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
                return self._listening and bool(await self._redis.ping())
        except self._unreachable:
            return False

    async def subscribe(self, channel: str, inbox: Inbox) -> None:
        """Never fails for a Redis outage: the listener subscribes every channel again once it is back."""
        if self._subscribers.add(channel, inbox):
            try:
                await self._pubsub.subscribe(self._prefix + channel)
            except self._unreachable as exc:
                self._lost(exc)
            self._subscribed.set()

    async def unsubscribe(self, channel: str, inbox: Inbox) -> None:
        if self._subscribers.remove(channel, inbox):
            try:
                await self._pubsub.unsubscribe(self._prefix + channel)
            except self._unreachable as exc:
                self._lost(exc)

    def _lost(self, exc: BaseException) -> None:
        """Logged once per outage, not once per message."""
        if self._listening:
            log.warning("redis unreachable (%s); delivering inside this process until it is back", exc)
        self._listening = False

    async def _listen(self) -> None:
        while True:
            await self._subscribed.wait()  # get_message needs a subscription to read from
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception as exc:
                self._lost(exc)
                await asyncio.sleep(RECONNECT_SECONDS)
                await self._resubscribe()
                continue
            if not self._listening:
                log.warning("redis is back; events flow between processes again")
                self._listening = True
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"].decode()[len(self._prefix) :]
            try:
                event = json.loads(message["data"])
            except ValueError:
                log.warning("ignoring a malformed event on %s", channel)
                continue
            self._subscribers.dispatch(channel, event)

    async def _resubscribe(self) -> None:
        with contextlib.suppress(Exception):
            channels = [self._prefix + channel for channel in self._subscribers.channels]
            if channels:
                await self._pubsub.subscribe(*channels)


def build_hub(redis_url: str | None, prefix: str) -> Hub:
    return RedisHub(redis_url, prefix) if redis_url else LocalHub()
