"""The websocket-frame access matrix: every agent frame type × every kind of console account.

The frame types come from the protocol's own union (``gogaek.chat.schemas.AgentFrame``), so a
new frame without a decision here fails. Each refused case is sent on a live socket and must
answer ``forbidden`` and change nothing; each allowed case must succeed (changing frames on a
chat of their own, so one case does not disturb the next). A deactivated account's socket is
closed before it can send anything (see test_rights.py for that and for the demotion itself).
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatMessage, Conversation
from gogaek.chat.schemas import AgentFrame
from gogaek.db import create_engine, create_sessionmaker
from gogaek.identity.models import StaffRole, Team
from tests.chat.conftest import Desk, add_staff
from tests.chat.wsclient import ChatClient, ws_url

pytestmark = pytest.mark.integration

ROLES = ("owner", "colleague", "other_team", "supervisor", "demoted")
OK, FORBIDDEN = "ok", "forbidden"
EMERGENCY = "보이스피싱 당했어요 계좌에서 돈이 빠져나갔어요"

# Who may send each agent frame about a chat an agent of the desk team has (accept: a waiting
# emergency chat of the security team, which none of these belongs to).
POLICY: dict[str, dict[str, str]] = {
    "message": {"owner": OK},
    "note": {"owner": OK, "supervisor": OK},
    "typing": {"owner": OK},
    "read": {"owner": OK},
    "accept": {"supervisor": OK},
    "transfer": {"owner": OK, "supervisor": OK},
    "end": {"owner": OK, "supervisor": OK},
    "watch": {"owner": OK, "supervisor": OK},
    "availability": dict.fromkeys(ROLES, OK),  # one's own account
    "ping": dict.fromkeys(ROLES, OK),
}
CHANGES_THE_CHAT = {"accept", "transfer", "end"}


def agent_frame_types() -> set[str]:
    union = typing.get_args(AgentFrame)[0]
    return {typing.get_args(member.model_fields["type"].annotation)[0] for member in typing.get_args(union)}


def test_every_agent_frame_type_has_a_decision() -> None:
    assert agent_frame_types() == set(POLICY), "add the new frame's row to POLICY"


@dataclass
class Matrix:
    desk: Desk
    db: AsyncSession
    staff: dict[str, int]
    sockets: dict[str, ChatClient]
    security_team: int
    customers: list[ChatClient]

    async def customer_chat(self, sub: str, text: str = "상담원 연결해 주세요") -> tuple[ChatClient, int]:
        customer = await ChatClient.open(ws_url(self.desk.url, "/ws/chat", token=self.desk.customer_token(sub)))
        chat = (await customer.expect_type("hello"))["conversation"]["id"]
        await customer.send({"type": "message", "text": text, "client_msg_id": f"{sub}-1"})
        await customer.expect_type("status", status="queued")
        self.customers.append(customer)
        return customer, chat

    async def owned_chat(self, sub: str) -> int:
        _, chat = await self.customer_chat(sub)
        owner = self.sockets["owner"]
        await owner.send({"type": "accept", "conversation": chat})
        await owner.expect(lambda f: f.get("type") == "assigned" and f["conversation"]["id"] == chat)
        return chat


@pytest.fixture
async def matrix(desk: Desk) -> AsyncIterator[Matrix]:
    engine = create_engine(desk.settings)
    async with create_sessionmaker(engine)() as db:
        security, other = (
            Team(slug="m-security", name="보안", handles_emergencies=True),
            Team(slug="m-other", name="기타"),
        )
        db.add_all([security, other])
        await db.commit()
        staff = {
            "owner": desk.agent_id,
            "colleague": desk.second_agent_id,
            "other_team": await add_staff(db, "m-other@example.com", StaffRole.AGENT, other.id),
            "supervisor": desk.supervisor_id,
            "demoted": await add_staff(db, "m-demoted@example.com", StaffRole.SUPERVISOR, None),
            "guard": await add_staff(db, "m-guard@example.com", StaffRole.AGENT, security.id),  # keeps the line open
        }
        admin = await add_staff(db, "m-admin@example.com", StaffRole.ADMIN, None)
        sockets = {}
        for role, staff_id in staff.items():
            sockets[role] = await ChatClient.open(ws_url(desk.url, "/ws/agent", token=desk.staff_token(staff_id)))
            await sockets[role].expect_type("hello")
        headers = {"Authorization": f"Bearer {desk.staff_token(admin)}"}
        async with httpx.AsyncClient(base_url=desk.url, headers=headers) as http:
            demoted = await http.patch(f"/api/v1/admin/staff/{staff['demoted']}", json={"role": "agent"})
            assert demoted.status_code == 200, demoted.text
        ready = Matrix(desk, db, staff, sockets, security.id, [])
        yield ready
        for socket in [*sockets.values(), *ready.customers]:
            await socket.close()
    await engine.dispose()


def _frame(kind: str, chat: int, matrix: Matrix, n: int) -> dict[str, Any]:
    frames: dict[str, dict[str, Any]] = {
        "message": {"conversation": chat, "text": "안녕하세요", "client_msg_id": f"mx-{n}"},
        "note": {"conversation": chat, "text": "메모", "client_msg_id": f"mx-{n}"},
        "typing": {"conversation": chat},
        "read": {"conversation": chat, "seq": 1},
        "accept": {"conversation": chat},
        "transfer": {"conversation": chat, "to_team": matrix.desk.team_id},
        "end": {"conversation": chat},
        "watch": {"conversation": chat, "after_seq": 0},
        "availability": {"status": "available"},
        "ping": {},
    }
    return {"type": kind, **frames[kind]}


async def _snapshot(db: AsyncSession, chat: int) -> tuple[Any, ...]:
    db.expire_all()
    conversation = await db.get(Conversation, chat)
    assert conversation is not None
    count = len((await db.scalars(select(ChatMessage.id).where(ChatMessage.conversation_id == chat))).all())
    return conversation.status, conversation.agent_id, conversation.team_id, count


async def test_each_role_gets_exactly_what_the_policy_says(matrix: Matrix) -> None:
    shared = await matrix.owned_chat("matrix-shared")
    _, emergency = await matrix.customer_chat("matrix-emergency", EMERGENCY)
    outcomes: dict[tuple[str, str], str] = {}
    for n, (kind, role) in enumerate((k, r) for k in sorted(POLICY) for r in ROLES):
        expected = POLICY[kind].get(role, FORBIDDEN)
        socket = matrix.sockets[role]
        if expected == OK and kind == "accept":
            _, target = await matrix.customer_chat(f"matrix-accept-{role}", EMERGENCY)
        elif expected == OK and kind in CHANGES_THE_CHAT:
            target = await matrix.owned_chat(f"matrix-{kind}-{role}")
        else:
            target = emergency if kind == "accept" else shared
        before = await _snapshot(matrix.db, target)
        await socket.drain(0.05)
        await socket.send(_frame(kind, target, matrix, n))
        if kind != "ping":
            await socket.send({"type": "ping"})  # the pong marks the end of this frame's answers
        answers = [f for f in await _until_pong(socket) if f.get("type") == "error"]
        outcomes[(kind, role)] = answers[0]["code"] if answers else OK
        if outcomes[(kind, role)] != OK:
            assert await _snapshot(matrix.db, target) == before, (kind, role)  # a refusal changes nothing
    expected_all = {(k, r): POLICY[k].get(r, FORBIDDEN) for k in POLICY for r in ROLES}
    assert outcomes == expected_all


async def _until_pong(socket: ChatClient) -> list[dict[str, Any]]:
    start = len(socket.frames)
    await socket.expect_type("pong")
    return socket.frames[start:]
