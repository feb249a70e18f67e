"""The chat runtime in process on both databases: assignment, seats, transfer, idle chats, receipts.

Events are heard through the app's own hub by a recording inbox, the way a socket hears them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.fallback import leave_inquiry
from gogaek.chat.models import ChatMessage, ChatStatus, Conversation, Sender
from gogaek.chat.runtime import ChatRuntime
from gogaek.chat.service import (
    QUEUE_CHANNEL,
    agent_channel,
    conversation_channel,
    get_conversation,
    mark_read,
    post_message,
    start_conversation,
    touch_presence,
)
from gogaek.chat.waiting import estimate_wait, queue_place
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffRole, StaffUser, Team, TeamCategory, TeamMember
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user

Event = dict[str, Any]


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []

    def deliver(self, channel: str, event: Event) -> None:
        self.events.append((channel, event))

    def of_type(self, kind: str) -> list[Event]:
        return [event for _, event in self.events if event.get("type") == kind]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chat_hours": "always", "chat_max_concurrent": 2, "chat_auto_assign": True})


@pytest.fixture
def runtime(app: FastAPI) -> ChatRuntime:
    chat: ChatRuntime = app.state.chat
    return chat


async def _staff(session: AsyncSession, email: str, role: StaffRole = StaffRole.AGENT) -> StaffUser:
    return await create_staff_user(
        session, StaffCreate(email=email, password="a-long-password-1", display_name=email.split("@")[0], role=role)
    )


async def _queued_chat(session: AsyncSession, runtime: ChatRuntime, sub: str, category_id: int | None = None) -> int:
    """A chat whose customer asked for a person; the category (from the bot's answer) routes it."""
    customer = Customer(external_id=sub, name="고객")
    session.add(customer)
    await session.commit()
    outcome = await start_conversation(session, customer, "안녕하세요")
    conversation = outcome.conversation
    await post_message(session, conversation, Sender.CUSTOMER, f"{sub} 질문", client_msg_id=None)
    conversation.category_id = category_id
    await session.commit()
    await runtime.request_person(conversation.id)
    return conversation.id


async def test_auto_assignment_fills_seats_up_to_the_limit_then_queues(
    session: AsyncSession, runtime: ChatRuntime
) -> None:
    agent = await _staff(session, "seat@example.com")
    await runtime.agent_connected(agent.id)
    chats = [await _queued_chat(session, runtime, f"seat-{n}") for n in range(3)]
    statuses = [(await get_conversation(session, chat_id)).status for chat_id in chats]
    assert statuses == ["active", "active", "queued"]  # two seats, the third waits in line

    recorder = Recorder()
    await runtime.hub.subscribe(conversation_channel(chats[2]), recorder)
    await runtime.end(chats[0], "agent", staff=agent)  # a seat frees up: the waiting chat gets it
    assert (await get_conversation(session, chats[2])).agent_id == agent.id
    assert recorder.of_type("status")[-1]["status"] == "active"
    await runtime.hub.unsubscribe(conversation_channel(chats[2]), recorder)


async def test_nobody_online_offers_options_instead_of_a_queue(session: AsyncSession, runtime: ChatRuntime) -> None:
    chat_id = await _queued_chat(session, runtime, "alone")
    conversation = await get_conversation(session, chat_id)
    assert conversation.status == ChatStatus.BOT.value
    away = await _staff(session, "away@example.com")
    await runtime.agent_connected(away.id)
    await runtime.set_availability(away, "away")
    await runtime.request_person(chat_id)
    assert (await get_conversation(session, chat_id)).status == ChatStatus.BOT.value


async def test_accept_respects_teams_and_races_have_one_winner(session: AsyncSession, runtime: ChatRuntime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"chat_auto_assign": False})
    team = Team(slug="cards", name="카드팀")
    category = Category(slug="card-pay", name="카드 결제")
    session.add_all([team, category])
    await session.flush()
    member = await _staff(session, "member@example.com")
    outsider = await _staff(session, "outsider@example.com")
    session.add_all(
        [TeamMember(team_id=team.id, staff_id=member.id), TeamCategory(team_id=team.id, category_id=category.id)]
    )
    await session.commit()
    await runtime.agent_connected(member.id)
    await runtime.agent_connected(outsider.id)
    chat_id = await _queued_chat(session, runtime, "team-chat", category_id=category.id)
    assert (await get_conversation(session, chat_id)).team_id == team.id
    assert (await get_conversation(session, chat_id)).status == ChatStatus.QUEUED.value
    with pytest.raises(ProblemError) as refused:
        await runtime.accept(outsider, chat_id)
    assert refused.value.code == "forbidden"
    await runtime.accept(member, chat_id)
    with pytest.raises(ProblemError) as late:
        await runtime.accept(member, chat_id)
    assert late.value.code == "not_queued"


async def test_transfer_to_agent_and_back_to_a_team_keeps_the_place(
    session: AsyncSession, runtime: ChatRuntime
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"chat_auto_assign": False})
    first = await _staff(session, "first@example.com")
    second = await _staff(session, "second@example.com")
    for staff in (first, second):
        await runtime.agent_connected(staff.id)
    older = await _queued_chat(session, runtime, "older")
    newer = await _queued_chat(session, runtime, "newer")
    await runtime.accept(first, older)
    recorder = Recorder()
    await runtime.hub.subscribe(agent_channel(second.id), recorder)
    await runtime.transfer(first, older, to_agent=second.id, to_team=None)
    assert (await get_conversation(session, older)).agent_id == second.id
    assert recorder.of_type("handover")[0]["conversation"] == older
    with pytest.raises(ProblemError):
        await runtime.transfer(first, older, to_agent=second.id, to_team=None)  # not first's any more
    with pytest.raises(ProblemError) as both:
        await runtime.transfer(second, older, to_agent=first.id, to_team=1)
    assert both.value.code == "invalid_transfer"

    team = Team(slug="back", name="복귀팀")
    session.add(team)
    await session.commit()
    released = Recorder()
    await runtime.hub.subscribe(agent_channel(second.id), released)
    await runtime.transfer(second, older, to_agent=None, to_team=team.id)
    assert released.of_type("released")[-1]["conversation"] == older  # second lets go of it
    moved = await get_conversation(session, older)
    assert moved.status == ChatStatus.QUEUED.value and moved.agent_id is None
    snapshot = await runtime.queue_snapshot()
    assert [w["conversation"] for w in snapshot["waiting"]][:2] == [older, newer]  # original place kept


async def test_idle_chats_are_warned_then_ended(session: AsyncSession, runtime: ChatRuntime) -> None:
    customer = Customer(external_id="idle", name="고객")
    session.add(customer)
    await session.commit()
    chat_id = (await start_conversation(session, customer, "안녕하세요")).conversation.id
    long_ago = utcnow() - timedelta(seconds=runtime.settings.chat_idle_close_seconds + 60)
    await session.execute(update(Conversation).where(Conversation.id == chat_id).values(last_activity_at=long_ago))
    await session.commit()
    recorder = Recorder()
    await runtime.hub.subscribe(conversation_channel(chat_id), recorder)
    assert await runtime.sweep_idle() == 1
    assert recorder.of_type("message")[-1]["idle_warning"] is True
    assert (await get_conversation(session, chat_id)).status == ChatStatus.BOT.value
    assert await runtime.sweep_idle() == 1
    ended = await get_conversation(session, chat_id)
    assert ended.status == ChatStatus.ENDED.value and ended.ended_by == "idle"
    assert await runtime.sweep_idle() == 0


async def test_a_customer_message_after_the_warning_keeps_the_chat(session: AsyncSession, runtime: ChatRuntime) -> None:
    customer = Customer(external_id="back-again", name="고객")
    session.add(customer)
    await session.commit()
    conversation = (await start_conversation(session, customer, "안녕하세요")).conversation
    warn_at = utcnow() - timedelta(seconds=runtime.settings.chat_idle_warn_seconds + 5)
    await session.execute(
        update(Conversation).where(Conversation.id == conversation.id).values(last_activity_at=warn_at)
    )
    await session.commit()
    assert await runtime.sweep_idle() == 1
    conversation = await get_conversation(session, conversation.id)
    await post_message(session, conversation, Sender.CUSTOMER, "아직 있어요", client_msg_id="still-here")
    assert await runtime.sweep_idle() == 0
    assert (await get_conversation(session, conversation.id)).idle_warned_at is None


async def test_read_receipts_only_move_forward(session: AsyncSession, runtime: ChatRuntime) -> None:
    customer = Customer(external_id="reader", name="고객")
    session.add(customer)
    await session.commit()
    conversation = (await start_conversation(session, customer, "안녕하세요")).conversation
    await mark_read(session, conversation, Sender.CUSTOMER, 99)
    assert (await get_conversation(session, conversation.id)).customer_read_seq == 1  # capped at last_seq
    await mark_read(session, conversation, Sender.CUSTOMER, 0)
    assert (await get_conversation(session, conversation.id)).customer_read_seq == 1


async def test_resent_client_msg_id_is_stored_once(session: AsyncSession) -> None:
    customer = Customer(external_id="resender", name="고객")
    session.add(customer)
    await session.commit()
    conversation = (await start_conversation(session, customer, "안녕하세요")).conversation
    first = await post_message(
        session, conversation, Sender.CUSTOMER, "카드번호 4111-1111-1111-1111", client_msg_id="m1"
    )
    again = await post_message(session, conversation, Sender.CUSTOMER, "다른 내용", client_msg_id="m1")
    assert first.created and not again.created
    assert again.messages[0].seq == first.messages[0].seq and again.events == []
    assert "4111-1111-1111-1111" not in first.messages[0].text  # masked like inquiries


async def test_queue_events_carry_the_order_and_presence_expires(session: AsyncSession, runtime: ChatRuntime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"chat_auto_assign": False})
    agent = await _staff(session, "presence@example.com")
    await touch_presence(session, agent.id, now=utcnow() - timedelta(minutes=5))  # a stale heartbeat
    chat_id = await _queued_chat(session, runtime, "stale")
    assert (await get_conversation(session, chat_id)).status == ChatStatus.BOT.value  # stale = offline
    recorder = Recorder()
    await runtime.hub.subscribe(QUEUE_CHANNEL, recorder)
    await runtime.agent_connected(agent.id)
    await runtime.request_person(chat_id)
    snapshot = recorder.of_type("queue_changed")[-1]
    assert [w["conversation"] for w in snapshot["waiting"]] == [chat_id]
    assert snapshot["online"] == {"any": 1}
    await runtime.agent_disconnected(agent.id)
    assert recorder.of_type("queue_changed")[-1]["online"] == {"any": 0}


def test_wait_estimate_uses_seats_of_online_agents() -> None:
    settings = Settings(env="test", chat_max_concurrent=3, chat_expected_handle_seconds=300)
    assert estimate_wait(1, 1, settings) == 100
    assert estimate_wait(6, 2, settings) == 300
    assert estimate_wait(1, 0, settings) is None
    place = queue_place([7, 3, 9], 9, 1, settings)
    assert place is not None and place.position == 3
    assert queue_place([7], 8, 1, settings) is None


async def test_ending_twice_at_once_posts_one_end_message(session: AsyncSession, runtime: ChatRuntime) -> None:
    customer = Customer(external_id="double-end", name="고객")
    session.add(customer)
    await session.commit()
    chat_id = (await start_conversation(session, customer, "안녕하세요")).conversation.id
    results = await asyncio.gather(
        runtime.end(chat_id, "customer"), runtime.end(chat_id, "idle"), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, ProblemError)]
    assert len(refused) == 1 and refused[0].code == "chat_ended"
    messages = await session.scalars(select(ChatMessage).where(ChatMessage.conversation_id == chat_id))
    assert sum(1 for m in messages if m.payload.get("rating_requested")) == 1


async def test_two_assigners_at_once_share_the_queue_without_errors(
    session: AsyncSession, runtime: ChatRuntime
) -> None:
    """Two processes' auto-assignment racing over the same queue: each chat goes to one agent once."""
    runtime.settings = runtime.settings.model_copy(update={"chat_auto_assign": False, "chat_max_concurrent": 5})
    agents = [await _staff(session, f"racer{n}@example.com") for n in range(2)]
    for agent in agents:
        await runtime.agent_connected(agent.id)
    chats = [await _queued_chat(session, runtime, f"race-{n}") for n in range(6)]
    results = await asyncio.gather(runtime.assign_waiting(), runtime.assign_waiting(), runtime.assign_waiting())
    assert sum(results) == len(chats)
    for chat_id in chats:
        assert (await get_conversation(session, chat_id)).status == ChatStatus.ACTIVE.value


async def test_a_chat_with_an_agent_cannot_be_filed_as_an_inquiry(session: AsyncSession, runtime: ChatRuntime) -> None:
    agent = await _staff(session, "busy@example.com")
    await runtime.agent_connected(agent.id)
    chat_id = await _queued_chat(session, runtime, "with-agent")
    assert (await get_conversation(session, chat_id)).status == ChatStatus.ACTIVE.value
    customer = await session.scalar(select(Customer).where(Customer.external_id == "with-agent"))
    assert customer is not None
    with pytest.raises(ProblemError) as refused:
        await leave_inquiry(runtime, customer, chat_id, None)
    assert refused.value.code == "agent_connected"
