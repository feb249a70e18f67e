"""Agent names next to the word 상담사 (issue 15, wording): staff named "상담사 한결", as the demo's
are, are never called "상담사 상담사 한결", and the hours are not closed twice."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatMessage, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.service import agent_names, get_conversation, post_message, start_conversation
from gogaek.chat.transcript import transcript_lines, transcript_text
from gogaek.config import Settings
from gogaek.identity.models import Customer, StaffRole
from gogaek.identity.naming import bare_agent_name
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user
from gogaek.inquiries.macros import render_macro


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chat_hours": "always", "chat_auto_assign": True})


@pytest.mark.parametrize(
    ("display_name", "bare"),
    [
        ("상담사 한결", "한결"),
        ("상담사한결", "한결"),
        ("한결 상담사", "한결"),
        ("한결", "한결"),
        ("상담사", "상담사"),
        (" 나래 ", "나래"),
    ],
)
def test_bare_agent_name(display_name: str, bare: str) -> None:
    assert bare_agent_name(display_name) == bare


def test_macro_agent_placeholder_is_the_bare_name() -> None:
    text = render_macro("상담사 {상담사명} 드림", customer_name="김민지", number="A-1", agent_name="상담사 한결")
    assert text == "상담사 한결 드림"


async def _chat(session: AsyncSession, runtime: ChatRuntime, sub: str) -> int:
    customer = Customer(external_id=sub, name="고객")
    session.add(customer)
    await session.commit()
    conversation = (await start_conversation(session, customer, "안녕하세요")).conversation
    await post_message(session, conversation, Sender.CUSTOMER, "결제가 안 돼요", client_msg_id=None)
    await runtime.request_person(conversation.id)
    return conversation.id


async def _texts(session: AsyncSession, chat_id: int) -> list[ChatMessage]:
    query = select(ChatMessage).where(ChatMessage.conversation_id == chat_id).order_by(ChatMessage.seq)
    return list((await session.scalars(query)).all())


async def test_joined_message_and_transcript_name_the_agent_once(session: AsyncSession, app: FastAPI) -> None:
    runtime: ChatRuntime = app.state.chat
    agent = await create_staff_user(
        session,
        StaffCreate(
            email="hangyeol@example.com", password="a-long-password-1", display_name="상담사 한결", role=StaffRole.AGENT
        ),
    )
    await runtime.agent_connected(agent.id)
    chat_id = await _chat(session, runtime, "names-1")
    conversation = await get_conversation(session, chat_id)
    assert conversation.agent_id == agent.id
    await post_message(session, conversation, Sender.AGENT, "확인해 보겠습니다", client_msg_id=None, staff=agent)
    messages = await _texts(session, chat_id)
    joined = [m.text for m in messages if m.sender == "system" and "연결되었습니다" in m.text]
    assert joined and joined[0].startswith("한결 상담사가 연결되었습니다")
    lines = transcript_lines(messages, await agent_names(session, [agent.id]))
    assert [line.who for line in lines if line.text == "확인해 보겠습니다"] == ["상담사 한결"]
    text = transcript_text(conversation, lines)
    assert "상담사 상담사" not in text and "한결 상담사 상담사" not in text


async def test_no_agent_offer_closes_the_hours_parenthesis_once(session: AsyncSession, app: FastAPI) -> None:
    runtime: ChatRuntime = app.state.chat
    chat_id = await _chat(session, runtime, "names-2")  # nobody online
    offer = [m.text for m in await _texts(session, chat_id) if m.sender == "system"][-1]
    assert "운영시간: 평일 09:00–18:00 (주말·공휴일 휴무)." in offer
    assert "))" not in offer
