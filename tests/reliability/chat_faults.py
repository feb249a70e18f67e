"""Chat under faults: customers on real websockets who reconnect and resend by ``client_msg_id``.

Shared by the short tests and benchmarks/reliability.py. The database is the judge: every
acknowledged message must be stored once, and every stored customer message should be
followed by an answer (bot or system) before the customer's next one, else it is "unanswered".
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import select
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from gogaek.chat.models import ChatMessage
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.security import StaffTokenSigner
from tests.chat.conftest import CHAT_ENV
from tests.chat.wsclient import ChatClient, Frame, ws_url
from tests.reliability.processes import AppServer, PrivateRedis
from tests.reliability.scenarios import GIVE_UP_SECONDS, RETRY_PAUSE, TOKEN_TTL_SECONDS, Tally, poll_until

# Questions from the demo FAQ: the bot answers each one (an article, suggestions or, after
# misses, the offline offer), so every message has an answer to wait for.
QUESTIONS = (
    "잔액이 부족하다며 결제가 거절돼요",
    "결제를 취소하고 싶어요",
    "환불은 언제 들어오나요?",
    "같은 결제가 두 번 됐어요",
    "결제 한도를 초과했다고 나와요",
)
ANSWER_WAIT = 10.0
# OSError covers a refused connection while the server restarts; TimeoutError is an OSError
# too, so ``say`` catches it first.
DROPPED = (ConnectionClosed, InvalidHandshake, OSError)


@dataclass
class ChatCustomer:
    """One customer's chat; survives server restarts by reconnecting with ``after_seq``."""

    url: str
    token: str
    name: str
    conversation: int | None = None
    last_seq: int = 0
    acknowledged: list[str] = field(default_factory=list)
    client: ChatClient | None = None

    async def connect(self) -> ChatClient:
        """Retries until the server takes the socket again, for at most ``GIVE_UP_SECONDS``."""
        async with asyncio.timeout(GIVE_UP_SECONDS):
            while True:
                try:
                    params = {"token": self.token, "conversation": self.conversation, "after_seq": self.last_seq}
                    client = await ChatClient.open(ws_url(self.url, "/ws/chat", **params))
                    hello = await client.expect_type("hello")
                except DROPPED:
                    await asyncio.sleep(RETRY_PAUSE)
                    continue
                self.conversation = hello["conversation"]["id"]
                self.client = client
                return client

    def _forget(self, client: ChatClient) -> None:
        seqs = [f["seq"] for f in client.frames if f.get("type") == "message"]
        self.last_seq = max([self.last_seq, *seqs])
        self.client = None

    async def say(self, text: str, msg_id: str, tally: Tally) -> None:
        """Sends until acknowledged, then waits (bounded) for the answer; a kill means reconnect and resend."""
        ack_seq: int | None = None
        while True:
            client = self.client or await self.connect()
            try:
                if ack_seq is None:
                    ack_seq = await self.send_acknowledged(client, text, msg_id, tally)
                await client.expect(partial(_is_reply, after_seq=ack_seq), wait=ANSWER_WAIT)
                return
            except TimeoutError:  # no answer came (the database count says whether one was stored)
                return
            except DROPPED:
                self._forget(client)

    async def send_acknowledged(self, client: ChatClient, text: str, msg_id: str, tally: Tally) -> int:
        """The acknowledgement is our own message coming back (or a ``duplicate`` answer to a resend)."""
        tally.attempts += 1
        await client.send({"type": "message", "text": text, "client_msg_id": msg_id})
        ack = await client.expect(partial(_is_own, msg_id=msg_id))
        self.acknowledged.append(msg_id)
        return int(ack["seq"])

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


def _is_own(frame: Frame, msg_id: str) -> bool:
    return frame.get("type") == "message" and frame.get("client_msg_id") == msg_id and frame.get("sender") == "customer"


def _is_reply(frame: Frame, after_seq: int) -> bool:
    return frame.get("type") == "message" and frame.get("sender") != "customer" and int(frame["seq"]) > after_seq


def new_customers(server: AppServer, settings: Settings, count: int, prefix: str) -> list[ChatCustomer]:
    return [
        ChatCustomer(
            server.url,
            issue_customer_token(settings, sub=f"{prefix}-{n}", name="김채팅", ttl_seconds=TOKEN_TTL_SECONDS),
            f"{prefix}-{n}",
        )
        for n in range(count)
    ]


async def chat_outcome(settings: Settings, tally: Tally, customers: Iterable[ChatCustomer]) -> None:
    """Counts lost, duplicated and unanswered customer messages from the database."""
    customers = list(customers)
    conversations = [c.conversation for c in customers if c.conversation is not None]
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = (
                await session.execute(
                    select(ChatMessage.conversation_id, ChatMessage.sender, ChatMessage.client_msg_id)
                    .where(ChatMessage.conversation_id.in_(conversations), ChatMessage.internal.is_(False))
                    .order_by(ChatMessage.conversation_id, ChatMessage.seq)
                )
            ).all()
    finally:
        await engine.dispose()
    stored = Counter(row.client_msg_id for row in rows if row.sender == "customer")
    acknowledged = [msg_id for c in customers for msg_id in c.acknowledged]
    tally.acknowledged = len(acknowledged)
    tally.lost = sum(1 for msg_id in acknowledged if stored[msg_id] == 0)
    tally.duplicated = sum(n - 1 for n in stored.values() if n > 1)
    tally.unanswered = sum(
        1
        for row, following in zip(rows, [*rows[1:], None], strict=True)
        if row.sender == "customer"
        and (following is None or following.conversation_id != row.conversation_id or following.sender == "customer")
    )


async def chat_load(people: list[ChatCustomer], tally: Tally, *, messages: int) -> None:
    """The customers chat with the bot, ``messages`` in all, one question at a time each."""

    async def talk(person: ChatCustomer, count: int) -> None:
        for index in range(count):
            await person.say(QUESTIONS[index % len(QUESTIONS)], f"{person.name}-{index}", tally)
        await person.close()

    shares = [messages // len(people) + (1 if n < messages % len(people) else 0) for n in range(len(people))]
    await asyncio.gather(*(talk(person, share) for person, share in zip(people, shares, strict=True)))


async def _agent_takes(agent: ChatClient, customer: ChatCustomer) -> int:
    """The customer asks for a person and the agent on the other process accepts; returns the chat id."""
    client = customer.client or await customer.connect()
    await client.send({"type": "handoff"})
    await client.expect_type("status", status="queued")
    await agent.expect(lambda f: f.get("type") == "queue" and f.get("length", 0) >= 1)
    assert customer.conversation is not None
    await agent.send({"type": "accept", "conversation": customer.conversation})
    await agent.expect_type("assigned")
    await client.expect_type("status", status="active")
    return customer.conversation


async def _heard_live(customer: ChatCustomer, agent: ChatClient, msg_id: str, tally: Tally) -> bool:
    """The customer's message reaches the agent's socket on the other process within the wait."""
    client = customer.client or await customer.connect()
    await customer.send_acknowledged(client, "다시 연결됐나요?", msg_id, tally)
    try:
        await agent.expect(lambda f: f.get("type") == "message" and f.get("client_msg_id") == msg_id, wait=ANSWER_WAIT)
    except TimeoutError:
        return False
    return True


async def readyz_redis(server: AppServer) -> tuple[int, bool | None]:
    response = await asyncio.to_thread(server.readyz)
    return response.status_code, response.json()["checks"].get("redis")


async def redis_recovered(servers: tuple[AppServer, ...], seconds: float) -> None:
    """Both processes report Redis healthy again (bounded wait)."""

    async def healthy() -> bool:
        return [await readyz_redis(s) for s in servers] == [(200, True)] * len(servers)

    async with asyncio.timeout(seconds):
        await poll_until(healthy, 0.2)


async def chat_across_redis_restarts(
    front: AppServer, back: AppServer, settings: Settings, agent_token: str, redis: PrivateRedis, *, restarts: int
) -> Tally:
    """A customer on ``front``, the agent on ``back``; Redis is stopped and started ``restarts`` times.

    Counted: messages not heard live across the processes after Redis came back (``missed``),
    readiness answers that did not say "redis: false, still serving" while it was down
    (``server_errors``), and messages sent during the outage lost from the database.
    """
    tally = Tally("Redis stopped and started under two app processes")
    tally.missed = 0
    agent = await ChatClient.open(ws_url(back.url, "/ws/agent", token=agent_token))
    await agent.expect_type("hello")
    customer = new_customers(front, settings, 1, "redis")[0]
    await _agent_takes(agent, customer)
    assert await _heard_live(customer, agent, "redis-before", tally)
    for round_ in range(restarts):
        await asyncio.to_thread(redis.stop)
        tally.injected += 1
        for server in (front, back):
            if await readyz_redis(server) != (200, False):
                tally.server_errors += 1
        client = customer.client or await customer.connect()
        await customer.send_acknowledged(client, "레디스가 없는 동안 보냅니다", f"redis-down-{round_}", tally)
        await asyncio.to_thread(redis.start)
        await redis_recovered((front, back), 30.0)
        if not await _heard_live(customer, agent, f"redis-after-{round_}", tally):
            tally.missed += 1
    await customer.close()
    await agent.close()
    await chat_outcome(settings, tally, [customer])
    return tally


async def redis_restarts(settings: Settings, agent_id: int, *, restarts: int) -> Tally:
    """A private Redis and two app processes on one database; the scenario above runs between them."""
    redis = PrivateRedis()
    await asyncio.to_thread(redis.start)
    env = {**CHAT_ENV, "GOGAEK_REDIS_URL": redis.url, "GOGAEK_REDIS_PREFIX": f"t-{uuid.uuid4().hex[:8]}:"}
    front, back = AppServer(settings, env), AppServer(settings, env)
    try:
        await asyncio.to_thread(front.start)
        await asyncio.to_thread(back.start)
        token = StaffTokenSigner(settings.secret_key, settings.session_max_age_seconds).issue(agent_id)
        return await chat_across_redis_restarts(front, back, settings, token, redis, restarts=restarts)
    finally:
        for server in (front, back):
            await asyncio.to_thread(server.stop)
        await asyncio.to_thread(redis.stop)
