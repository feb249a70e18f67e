"""The sockets' cheap path for a chat message keeps every promise of the slow one, on both databases.

``post_if`` checks who may post in the statement that takes the seq, and finds a resend through the
unique constraint instead of a look-up; the console's re-check reads the account and its teams in
one query. Statement counts are asserted (what the path costs the database), never times.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat import queries
from gogaek.chat.models import ChatMessage, ChatStatus, Conversation, Sender
from gogaek.chat.posting import Guard, post_if
from gogaek.chat.service import (
    person_draft,
    start_conversation,
)
from gogaek.db import utcnow
from gogaek.identity.models import Customer, StaffRole, StaffUser, Team, TeamMember
from gogaek.identity.schemas import StaffCreate
from gogaek.identity.service import create_staff_user, staff_signed_in


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends meanwhile (a pool's pre-ping is not one)."""
    seen: list[str] = []
    engine = app.state.sessionmaker.kw["bind"].sync_engine

    def record(*args: Any) -> None:
        seen.append(args[2].split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _chat(session: AsyncSession, sub: str) -> tuple[Customer, int]:
    customer = Customer(external_id=sub, name="고객")
    session.add(customer)
    await session.commit()
    return customer, (await start_conversation(session, customer, "안녕하세요")).conversation.id


async def _stored(session: AsyncSession, conversation_id: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(ChatMessage.seq, ChatMessage.text)
        .where(ChatMessage.conversation_id == conversation_id)
        .order_by(ChatMessage.seq)
    )
    return [(seq, text) for seq, text in rows]


async def test_a_customer_message_is_one_update_one_insert_and_the_commit(app: FastAPI, session: AsyncSession) -> None:
    customer, chat_id = await _chat(session, "hot-path")
    draft = person_draft(Sender.CUSTOMER, "카드번호 4111-1111-1111-1111 결제 취소요", "m1")
    with statements(app) as sent:
        async with app.state.sessionmaker() as fresh:
            outcome = await post_if(fresh, chat_id, Guard.CUSTOMER, customer.id, draft)
    assert outcome is not None and outcome.created
    assert sent == ["UPDATE", "INSERT"]  # no SELECT of the chat, no look-up for an earlier copy
    assert outcome.conversation.last_seq == outcome.messages[0].seq == 2
    assert outcome.conversation.status == ChatStatus.BOT.value  # what the bot's turn is decided on
    assert "4111-1111-1111-1111" not in outcome.messages[0].text  # masked like inquiries
    assert [channel for channel, _ in outcome.events] == [f"chat:{chat_id}"]


async def test_a_resend_is_answered_with_the_first_copy_and_takes_no_seq(app: FastAPI, session: AsyncSession) -> None:
    customer, chat_id = await _chat(session, "resender")
    first = person_draft(Sender.CUSTOMER, "처음 보낸 말", "again")
    async with app.state.sessionmaker() as fresh:
        stored = await post_if(fresh, chat_id, Guard.CUSTOMER, customer.id, first)
    async with app.state.sessionmaker() as fresh:
        resent = await post_if(
            fresh, chat_id, Guard.CUSTOMER, customer.id, person_draft(Sender.CUSTOMER, "다시", "again")
        )
    assert stored is not None and resent is not None
    assert not resent.created and resent.events == []
    assert resent.messages[0].seq == stored.messages[0].seq == 2
    assert resent.conversation.last_seq == 2  # the seq the resend took was rolled back with it
    assert await _stored(session, chat_id) == [(1, "안녕하세요"), (2, "처음 보낸 말")]
    async with app.state.sessionmaker() as fresh:  # numbering goes on without a gap
        later = await post_if(fresh, chat_id, Guard.CUSTOMER, customer.id, person_draft(Sender.CUSTOMER, "다음", "n"))
    assert later is not None and later.messages[0].seq == 3


async def test_nothing_is_stored_in_a_chat_that_is_ended_or_someone_elses(app: FastAPI, session: AsyncSession) -> None:
    customer, chat_id = await _chat(session, "owner")
    stranger, _ = await _chat(session, "stranger")
    draft = person_draft(Sender.CUSTOMER, "남의 상담에 쓰기", None)
    async with app.state.sessionmaker() as fresh:
        assert await post_if(fresh, chat_id, Guard.CUSTOMER, stranger.id, draft) is None
    await session.execute(update(Conversation).where(Conversation.id == chat_id).values(status="ended"))
    await session.commit()
    async with app.state.sessionmaker() as fresh:
        assert await post_if(fresh, chat_id, Guard.CUSTOMER, customer.id, draft) is None
    assert await _stored(session, chat_id) == [(1, "안녕하세요")]
    assert await session.scalar(select(Conversation.last_seq).where(Conversation.id == chat_id)) == 1


async def test_only_the_agent_holding_an_active_chat_posts_in_it(app: FastAPI, session: AsyncSession) -> None:
    _, chat_id = await _chat(session, "agent-side")
    data = {"password": "a-long-password-1", "role": StaffRole.AGENT}
    holder = await create_staff_user(session, StaffCreate(email="holder@example.com", display_name="한결", **data))
    other = await create_staff_user(session, StaffCreate(email="other@example.com", display_name="다온", **data))
    await session.execute(
        update(Conversation).where(Conversation.id == chat_id).values(status="active", agent_id=holder.id)
    )
    await session.commit()
    reply = person_draft(Sender.AGENT, "확인해 보겠습니다", "a1", other)
    async with app.state.sessionmaker() as fresh:
        assert await post_if(fresh, chat_id, Guard.AGENT, other.id, reply) is None
    reply = person_draft(Sender.AGENT, "확인해 보겠습니다", "a1", holder)
    async with app.state.sessionmaker() as fresh:
        outcome = await post_if(fresh, chat_id, Guard.AGENT, holder.id, reply, holder.display_name)
    assert outcome is not None and outcome.events[0][1]["agent_name"] == "한결"
    assert outcome.messages[0].staff_id == holder.id
    note = replace(person_draft(Sender.AGENT, "보이스피싱 의심, 확인 필요", "n1", other), internal=True)
    async with app.state.sessionmaker() as fresh:  # a supervisor's note: any chat, seen by staff only
        noted = await post_if(fresh, chat_id, Guard.ANYONE, other.id, note)
    assert noted is not None and noted.events[0][0] == f"chat:{chat_id}:staff"
    assert noted.conversation.last_activity_at == outcome.conversation.last_activity_at  # a note is not activity


async def test_the_re_check_sees_team_and_account_changes_made_behind_its_back(
    app: FastAPI, session: AsyncSession
) -> None:
    """What a console's re-check before every frame reads: a change with no push (Redis down, a
    direct database edit) is seen by the next frame, in one query."""
    agent = await create_staff_user(
        session,
        StaffCreate(email="recheck@example.com", password="a-long-password-1", display_name="누리", role="agent"),
    )
    teams = [Team(slug=f"recheck-{n}", name=f"팀{n}") for n in range(2)]
    session.add_all(teams)
    await session.commit()
    session.add_all([TeamMember(team_id=team.id, staff_id=agent.id) for team in teams])
    await session.commit()
    signed_in = utcnow()

    async def recheck() -> tuple[StaffUser | None, list[int], list[str]]:
        with statements(app) as sent:
            async with app.state.sessionmaker() as fresh:
                loaded, team_ids = await queries.staff_with_team_ids(fresh, agent.id)
                found = await staff_signed_in(fresh, agent.id, signed_in)
                assert found is None or found is loaded
                return found, team_ids, sent

    found, team_ids, sent = await recheck()
    assert found is not None and team_ids == sorted(t.id for t in teams) and sent == ["SELECT"]

    await session.execute(delete(TeamMember).where(TeamMember.team_id == teams[0].id))
    await session.execute(update(StaffUser).where(StaffUser.id == agent.id).values(role="supervisor"))
    await session.commit()
    found, team_ids, _ = await recheck()
    assert found is not None and found.role == "supervisor" and team_ids == [teams[1].id]

    await session.execute(delete(TeamMember))
    await session.commit()
    found, team_ids, _ = await recheck()
    assert found is not None and team_ids == []  # an account without teams still loads

    await session.execute(update(StaffUser).where(StaffUser.id == agent.id).values(is_active=False))
    await session.commit()
    found, _, _ = await recheck()
    assert found is None
    assert await session.scalar(select(func.count()).select_from(StaffUser)) == 1
