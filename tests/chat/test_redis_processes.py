"""Two app processes on one database with Redis pub/sub: the customer on one, agents on the other.

Messages flow live both ways, queue positions come from the shared queue, and an agent's
seats are counted across processes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gogaek.config import Settings
from tests.chat.conftest import CHAT_ENV, Desk, add_staff, prepared_database
from tests.chat.wsclient import ChatClient, ws_url
from tests.e2e.conftest import running_server
from tests.servers import REDIS_URL, require_redis

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_desks(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Iterator[tuple[Desk, Desk]]:
    """The production shape: PostgreSQL, Redis, two app processes."""
    require_redis()
    with prepared_database("postgres", tmp_path_factory.mktemp("chat-redis"), embedding_cache) as ready:
        yield from _serve_twice(*ready)


def _serve_twice(settings: Settings, ids: tuple[int, int, int, int]) -> Iterator[tuple[Desk, Desk]]:
    agent, second, supervisor, team = ids
    env = {**CHAT_ENV, "GOGAEK_REDIS_URL": REDIS_URL, "GOGAEK_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}:"}
    with running_server(settings, env) as first, running_server(settings, env) as other:
        yield (
            Desk(first, settings, agent, second, supervisor, team),
            Desk(other, settings, agent, second, supervisor, team),
        )


async def test_customer_and_agent_on_different_processes(two_desks: tuple[Desk, Desk]) -> None:
    front, back = two_desks
    agent = await ChatClient.open(ws_url(back.url, "/ws/agent", token=back.staff_token(back.agent_id)))
    await agent.expect_type("hello")

    customers = []
    for index in range(3):
        client = await ChatClient.open(ws_url(front.url, "/ws/chat", token=front.customer_token(f"redis-{index}")))
        await client.expect_type("hello")
        await client.send({"type": "handoff"})
        await client.expect_type("status", status="queued")
        customers.append(client)
    # Positions are counted from the shared queue, whichever process holds the socket.
    assert (await customers[2].expect_type("queue"))["position"] == 3
    waiting = await agent.expect(lambda f: f.get("type") == "queue" and f["length"] == 3)
    ids = [w["conversation"] for w in waiting["waiting"]]

    for conversation_id in ids[:2]:
        await agent.send({"type": "accept", "conversation": conversation_id})
        assigned = await agent.expect_type("assigned")
        assert assigned["conversation"]["id"] == conversation_id
    # The third waits: its position moves up live on the other process.
    await customers[2].expect(lambda f: f.get("type") == "queue" and f["position"] == 1)

    # The same agent on the first process: the seat limit (2) is shared, so no third chat.
    same_agent = await ChatClient.open(ws_url(front.url, "/ws/agent", token=front.staff_token(front.agent_id)))
    await same_agent.expect_type("hello")
    await same_agent.send({"type": "accept", "conversation": ids[2]})
    assert (await same_agent.expect_type("error"))["code"] == "no_free_seat"

    talker = customers[0]
    await talker.expect_type("status", status="active")
    await talker.send({"type": "message", "text": "다른 프로세스에서 보냅니다", "client_msg_id": "r-1"})
    heard = await agent.expect(lambda f: f.get("type") == "message" and f.get("client_msg_id") == "r-1")
    await agent.send(
        {"type": "message", "conversation": heard["conversation"], "text": "잘 받았습니다", "client_msg_id": "ra-1"}
    )
    reply = await talker.expect(lambda f: f.get("type") == "message" and f.get("client_msg_id") == "ra-1")
    assert reply["seq"] == heard["seq"] + 1
    await talker.received(lambda f: f.get("type") == "delivered" and f.get("seq") == heard["seq"])

    for conversation_id in ids[:2]:
        await agent.send({"type": "end", "conversation": conversation_id})
    await customers[2].send({"type": "end"})
    await asyncio.gather(*(client.expect_type("status", status="ended") for client in customers))
    for client in (*customers, agent, same_agent):
        await client.close()


async def test_deactivating_an_agent_on_one_process_signs_out_its_socket_on_the_other(
    two_desks: tuple[Desk, Desk],
) -> None:
    """The admin's process tells every process through Redis; no frame from the agent is needed."""
    from websockets.exceptions import ConnectionClosed

    from gogaek.db import create_engine, create_sessionmaker
    from gogaek.identity.models import StaffRole

    front, back = two_desks
    engine = create_engine(front.settings)
    async with create_sessionmaker(engine)() as session:
        leaver = await add_staff(session, "redis-leaver@example.com")
        admin = await add_staff(session, "redis-admin@example.com", StaffRole.ADMIN)
    await engine.dispose()
    socket = await ChatClient.open(ws_url(back.url, "/ws/agent", token=back.staff_token(leaver)))
    await socket.expect_type("hello")
    headers = {"Authorization": f"Bearer {front.staff_token(admin)}"}
    async with httpx.AsyncClient(base_url=front.url, headers=headers) as http:
        assert (await http.post(f"/api/v1/admin/staff/{leaver}/deactivate")).status_code == 200
    assert (await socket.expect_type("error"))["code"] == "signed_out"
    with pytest.raises(ConnectionClosed) as closed:
        await socket.drain(5)
        await socket.socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
