"""Rights on open sockets: an account changed while its console is connected keeps nothing it had.

Also the frame-order promises the protocol makes (hello first, no "None" team keys, no repeated
queue frames) and the bot answering a message whose first answer died with its process.
Real websocket clients against a running server, on both databases.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import ConnectionClosed

from gogaek.chat.models import ChatMessage, ChatStatus, Conversation, Sender
from gogaek.chat.service import post_message
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.identity.models import StaffRole, StaffUser, Team
from tests.chat.conftest import Desk, add_staff
from tests.chat.wsclient import ChatClient, Frame, ws_url

pytestmark = pytest.mark.integration

EMERGENCY = "보이스피싱 당했어요 계좌에서 돈이 빠져나갔어요"


@pytest.fixture
async def db(desk: Desk) -> AsyncIterator[AsyncSession]:
    """The server's own database, to set up people and to look at what the server wrote."""
    engine = create_engine(desk.settings)
    async with create_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


async def _admin(desk: Desk, db: AsyncSession, email: str) -> httpx.AsyncClient:
    admin_id = await add_staff(db, email, StaffRole.ADMIN)
    return httpx.AsyncClient(base_url=desk.url, headers={"Authorization": f"Bearer {desk.staff_token(admin_id)}"})


async def _agent(desk: Desk, staff_id: int) -> ChatClient:
    client = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=desk.staff_token(staff_id)))
    await client.expect_type("hello")
    return client


async def _queued_customer(desk: Desk, sub: str, text: str = "상담원 연결해 주세요") -> tuple[ChatClient, int]:
    customer = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=desk.customer_token(sub)))
    conversation_id = (await customer.expect_type("hello"))["conversation"]["id"]
    await customer.send({"type": "message", "text": text, "client_msg_id": f"{sub}-1"})
    await customer.expect_type("status", status="queued")
    return customer, conversation_id


async def _closed_with(client: ChatClient) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await client.drain(5)
        await client.socket.recv()
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


def _texts(frames: list[Frame]) -> list[str]:
    return [f.get("text", "") for f in frames if f.get("type") == "message"]


async def test_a_demoted_supervisor_loses_watch_notes_and_other_teams_chats_at_once(
    desk: Desk, db: AsyncSession
) -> None:
    security = Team(slug="security-desk", name="보안 대응팀", handles_emergencies=True)
    db.add(security)
    await db.commit()
    lead = await add_staff(db, "demoted-lead@example.com", StaffRole.SUPERVISOR)
    guard = await add_staff(db, "guard@example.com", team_id=security.id)
    async with await _admin(desk, db, "rights-admin@example.com") as admin:
        lead_ws, guard_ws, agent_ws = (
            await _agent(desk, lead),
            await _agent(desk, guard),
            await _agent(desk, desk.agent_id),
        )
        customer, chat = await _queued_customer(desk, "watched-1")
        await agent_ws.send({"type": "accept", "conversation": chat})
        await agent_ws.expect_type("assigned")
        await agent_ws.send({"type": "note", "conversation": chat, "text": "메모 하나", "client_msg_id": "n-1"})
        await agent_ws.expect(lambda f: f.get("text") == "메모 하나")  # stored before the supervisor looks
        await lead_ws.send({"type": "watch", "conversation": chat, "after_seq": 0})
        note = await lead_ws.expect(lambda f: f.get("text") == "메모 하나")
        assert note["internal"] is True  # as a supervisor, the watch replays notes

        demoted = await admin.patch(f"/api/v1/admin/staff/{lead}", json={"role": "agent"})
        assert demoted.status_code == 200, demoted.text
        await agent_ws.send({"type": "note", "conversation": chat, "text": "메모 둘", "client_msg_id": "n-2"})
        await agent_ws.expect(lambda f: f.get("text") == "메모 둘")
        assert "메모 둘" not in _texts(await lead_ws.drain(1.5))  # no longer follows the chat it watched
        await lead_ws.send({"type": "watch", "conversation": chat, "after_seq": 0})
        assert (await lead_ws.expect_type("error"))["code"] == "forbidden"
        await lead_ws.send({"type": "note", "conversation": chat, "text": "강등 후 메모", "client_msg_id": "n-3"})
        assert (await lead_ws.expect_type("error"))["code"] == "forbidden"

        victim, emergency = await _queued_customer(desk, "phished-1", EMERGENCY)
        await lead_ws.send({"type": "accept", "conversation": emergency})
        assert (await lead_ws.expect_type("error"))["code"] == "forbidden"
        await guard_ws.send({"type": "accept", "conversation": emergency})  # the security team still can
        await guard_ws.expect_type("assigned")
    stored = (await db.scalars(select(ChatMessage.text).where(ChatMessage.conversation_id == chat))).all()
    assert "강등 후 메모" not in stored
    for client in (lead_ws, guard_ws, agent_ws, customer, victim):
        await client.close()


async def test_a_deactivated_agent_is_signed_out_and_its_chat_goes_back_to_the_queue(
    desk: Desk, db: AsyncSession
) -> None:
    leaving = await add_staff(db, "leaving@example.com", team_id=desk.team_id)
    async with await _admin(desk, db, "rights-admin2@example.com") as admin:
        old_token = desk.staff_token(leaving)
        leaving_ws = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=old_token))
        await leaving_ws.expect_type("hello")
        customer, chat = await _queued_customer(desk, "orphan-1")
        await leaving_ws.send({"type": "accept", "conversation": chat})
        await leaving_ws.expect_type("assigned")
        await customer.expect_type("status", status="active")

        assert (await admin.post(f"/api/v1/admin/staff/{leaving}/deactivate")).status_code == 200
        assert (await leaving_ws.expect_type("error"))["code"] == "signed_out"
        assert await _closed_with(leaving_ws) == 4401
        await customer.expect_type("status", status="queued")
        conversation = await db.get(Conversation, chat)
        assert conversation is not None and (conversation.status, conversation.agent_id) == ("queued", None)

        again = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=desk.staff_token(leaving)))
        assert (await again.expect_type("error"))["code"] == "unauthorized"
        assert (await admin.post(f"/api/v1/admin/staff/{leaving}/reactivate")).status_code == 200
        # the token signed before the deactivation stays dead after reactivation
        revived = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=old_token))
        assert (await revived.expect_type("error"))["code"] == "unauthorized"
    await customer.close()


async def test_every_frame_rechecks_the_account_even_without_a_push(desk: Desk, db: AsyncSession) -> None:
    """As on a process that missed the admin's event (Redis down): the next frame finds out."""
    quiet = await add_staff(db, "quiet@example.com", team_id=desk.team_id)
    quiet_ws = await _agent(desk, quiet)
    await db.execute(
        update(StaffUser)
        .where(StaffUser.id == quiet)
        .values(is_active=False, availability="offline", tokens_valid_after=utcnow() + timedelta(seconds=1))
    )
    await db.commit()
    await quiet_ws.send({"type": "availability", "status": "available"})
    assert (await quiet_ws.expect_type("error"))["code"] == "signed_out"
    assert await _closed_with(quiet_ws) == 4401
    db.expire_all()
    staff = await db.get(StaffUser, quiet)
    assert staff is not None and staff.availability == "offline"


async def test_agent_frames_start_with_hello_and_team_keys_are_never_none(desk: Desk, db: AsyncSession) -> None:
    raw = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=desk.staff_token(desk.second_agent_id)))
    first = await raw.expect(lambda f: True)
    assert first["type"] == "hello", first
    customer, _ = await _queued_customer(desk, "no-team-1")
    queue = await raw.expect(lambda f: f.get("type") == "queue" and f["length"] > 0)
    assert "None" not in queue["online"] and all(k == "any" or k.isdigit() for k in queue["online"])
    places = [(f["position"], f["eta_seconds"]) for f in customer.frames if f.get("type") == "queue"]
    places += [(f["position"], f["eta_seconds"]) for f in await customer.drain(1.5) if f.get("type") == "queue"]
    assert places, "the waiting customer was told its place"
    assert all(a != b for a, b in itertools.pairwise(places)), places  # never the same frame twice
    await customer.close()
    await raw.close()


async def test_a_message_whose_answer_died_with_the_process_is_answered_on_resume(desk: Desk, db: AsyncSession) -> None:
    customer = await ChatClient.open(ws_url(desk.url, "/ws/chat", token=desk.customer_token("crashed-1")))
    chat = (await customer.expect_type("hello"))["conversation"]["id"]
    await customer.close()
    conversation = await db.get(Conversation, chat)
    assert conversation is not None and conversation.status == ChatStatus.BOT.value
    # What a SIGKILL between the commit and the bot's turn leaves behind: a stored, unanswered question.
    stored = await post_message(
        db, conversation, Sender.CUSTOMER, "잔액이 부족하다며 결제가 거절돼요", client_msg_id="k-1"
    )
    seq = stored.messages[0].seq

    resumed = await ChatClient.open(
        ws_url(desk.url, "/ws/chat", token=desk.customer_token("crashed-1"), conversation=chat, after_seq=seq)
    )
    answer = await resumed.expect(lambda f: f.get("type") == "message" and f.get("sender") == "bot")
    assert answer["seq"] > seq and answer["bot_kind"] == "answer"
    await resumed.send({"type": "message", "text": "잔액이 부족하다며 결제가 거절돼요", "client_msg_id": "k-1"})
    await resumed.expect(lambda f: f.get("duplicate") is True)
    await resumed.close()
    again = await ChatClient.open(
        ws_url(desk.url, "/ws/chat", token=desk.customer_token("crashed-1"), conversation=chat, after_seq=seq)
    )
    await again.expect_type("hello")
    await again.drain(1.5)
    answers = [f for f in again.frames if f.get("type") == "message" and f.get("sender") == "bot"]
    assert [f["seq"] for f in answers] == [answer["seq"]]  # answered once, however often it resumes
    await again.close()
