"""Reads for chat: transcripts after a sequence number, the queue, who is online, agent context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import AgentPresence, ChatMessage, ChatStatus, Conversation, Sender
from gogaek.db import utcnow
from gogaek.identity.models import Availability, StaffUser, TeamMember
from gogaek.inquiries.models import Inquiry

PRESENCE_WINDOW = timedelta(seconds=90)  # three missed 30-second heartbeats


async def messages_after(
    session: AsyncSession, conversation_id: int, after_seq: int, *, include_internal: bool, until_seq: int | None = None
) -> Sequence[ChatMessage]:
    query = select(ChatMessage).where(ChatMessage.conversation_id == conversation_id, ChatMessage.seq > after_seq)
    if until_seq is not None:
        query = query.where(ChatMessage.seq < until_seq)
    if not include_internal:
        query = query.where(ChatMessage.internal.is_(False))
    return (await session.scalars(query.order_by(ChatMessage.seq))).all()


async def unanswered_customer_messages(session: AsyncSession, conversation: Conversation) -> Sequence[ChatMessage]:
    """Customer text the bot has not answered yet (images are not questions for the bot)."""
    query = select(ChatMessage).where(
        ChatMessage.conversation_id == conversation.id,
        ChatMessage.seq > conversation.bot_answered_seq,
        ChatMessage.sender == Sender.CUSTOMER.value,
        ChatMessage.text != "",
    )
    return (await session.scalars(query.order_by(ChatMessage.seq))).all()


async def open_conversation_of(session: AsyncSession, customer_id: int) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.status != ChatStatus.ENDED.value)
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def _same_queue(team_id: int | None) -> object:
    return Conversation.team_id.is_(None) if team_id is None else Conversation.team_id == team_id


async def queue_order(session: AsyncSession, team_id: int | None) -> list[int]:
    """Queued conversation ids of one team's queue, first served first."""
    rows = await session.scalars(
        select(Conversation.id)
        .where(Conversation.status == ChatStatus.QUEUED.value, _same_queue(team_id))  # type: ignore[arg-type]
        .order_by(Conversation.queue_rank, Conversation.queued_at, Conversation.id)
    )
    return list(rows.all())


async def next_queued(session: AsyncSession, team_ids: Sequence[int] | None) -> Conversation | None:
    """The longest-waiting chat an agent of these teams may take (None: any team)."""
    query = select(Conversation).where(Conversation.status == ChatStatus.QUEUED.value)
    if team_ids is not None:
        query = query.where(or_(Conversation.team_id.is_(None), Conversation.team_id.in_(team_ids)))
    return await session.scalar(
        query.order_by(Conversation.queue_rank, Conversation.queued_at, Conversation.id).limit(1)
    )


def _online_agents(team_id: int | None, now: datetime) -> object:
    query = (
        select(StaffUser.id)
        .join(AgentPresence, AgentPresence.staff_id == StaffUser.id)
        .where(
            AgentPresence.heartbeat_at >= now - PRESENCE_WINDOW,
            StaffUser.is_active.is_(True),
            StaffUser.availability == Availability.AVAILABLE.value,
        )
    )
    if team_id is not None:
        query = query.join(TeamMember, and_(TeamMember.staff_id == StaffUser.id, TeamMember.team_id == team_id))
    return query


async def online_agent_ids(session: AsyncSession, team_id: int | None, now: datetime | None = None) -> list[int]:
    return list((await session.scalars(_online_agents(team_id, now or utcnow()))).all())  # type: ignore[call-overload]


async def active_chat_counts(session: AsyncSession, staff_ids: Sequence[int]) -> dict[int, int]:
    if not staff_ids:
        return {}
    rows = await session.execute(
        select(Conversation.agent_id, func.count())
        .where(Conversation.status == ChatStatus.ACTIVE.value, Conversation.agent_id.in_(staff_ids))
        .group_by(Conversation.agent_id)
    )
    counts = {staff_id: 0 for staff_id in staff_ids}
    counts.update({agent_id: count for agent_id, count in rows if agent_id is not None})
    return counts


async def team_ids_of(session: AsyncSession, staff_id: int) -> list[int]:
    return list((await session.scalars(select(TeamMember.team_id).where(TeamMember.staff_id == staff_id))).all())


async def staff_with_team_ids(session: AsyncSession, staff_id: int) -> tuple[StaffUser | None, list[int]]:
    """The account and its team ids in one query. While the caller holds the account, the session
    hands it out again without SQL (``session.get``): the console's re-check before every frame
    reads both in one round trip."""
    rows = (
        await session.execute(
            select(StaffUser, TeamMember.team_id)
            .outerjoin(TeamMember, TeamMember.staff_id == StaffUser.id)
            .where(StaffUser.id == staff_id)
            .order_by(TeamMember.team_id)
        )
    ).all()
    staff = rows[0][0] if rows else None
    return staff, [team_id for _, team_id in rows if team_id is not None]


async def agent_conversations(session: AsyncSession, staff_id: int) -> Sequence[Conversation]:
    return (
        await session.scalars(
            select(Conversation)
            .where(Conversation.agent_id == staff_id, Conversation.status == ChatStatus.ACTIVE.value)
            .order_by(Conversation.accepted_at)
        )
    ).all()


async def live_conversations(session: AsyncSession) -> Sequence[Conversation]:
    """Every chat not yet ended, for supervisors."""
    return (
        await session.scalars(
            select(Conversation)
            .where(Conversation.status.in_([ChatStatus.QUEUED.value, ChatStatus.ACTIVE.value, ChatStatus.BOT.value]))
            .order_by(Conversation.id)
        )
    ).all()


async def queued_conversations(
    session: AsyncSession, team_ids: Sequence[int] | None, limit: int | None = None
) -> Sequence[Conversation]:
    query = select(Conversation).where(Conversation.status == ChatStatus.QUEUED.value)
    if team_ids is not None:
        query = query.where(or_(Conversation.team_id.is_(None), Conversation.team_id.in_(team_ids)))
    query = query.order_by(Conversation.queue_rank, Conversation.queued_at, Conversation.id).limit(limit)
    return (await session.scalars(query)).all()


async def customer_conversations(session: AsyncSession, customer_id: int, limit: int = 50) -> Sequence[Conversation]:
    return (
        await session.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.id.desc())
            .limit(limit)
        )
    ).all()


@dataclass(frozen=True, slots=True)
class ChatHistoryRow:
    conversation: Conversation
    preview: str  # the customer's first words, for 문의 내역


def _first_words() -> Any:
    """The customer's first message of each conversation row, as a correlated subquery."""
    return (
        select(ChatMessage.text)
        .where(
            ChatMessage.conversation_id == Conversation.id,
            ChatMessage.sender == "customer",
            ChatMessage.text != "",
        )
        .order_by(ChatMessage.seq)
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )


async def chat_history(session: AsyncSession, customer_id: int, limit: int = 10) -> list[ChatHistoryRow]:
    """The customer's latest chats with their opening line, in one query."""
    rows = await session.execute(
        select(Conversation, _first_words())
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.id.desc())
        .limit(limit)
    )
    return [ChatHistoryRow(conversation, preview or "") for conversation, preview in rows]


async def waiting_chats(session: AsyncSession) -> list[ChatHistoryRow]:
    """Every queued chat in serving order with its opening line, in one query."""
    rows = await session.execute(
        select(Conversation, _first_words())
        .where(Conversation.status == ChatStatus.QUEUED.value)
        .order_by(Conversation.queue_rank, Conversation.queued_at, Conversation.id)
    )
    return [ChatHistoryRow(conversation, preview or "") for conversation, preview in rows]


async def recent_inquiries(session: AsyncSession, customer_id: int, limit: int = 5) -> Sequence[Inquiry]:
    return (
        await session.scalars(
            select(Inquiry).where(Inquiry.customer_id == customer_id).order_by(Inquiry.id.desc()).limit(limit)
        )
    ).all()


async def first_customer_text(session: AsyncSession, conversation_id: int) -> str | None:
    return await session.scalar(
        select(ChatMessage.text)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.sender == "customer", ChatMessage.text != "")
        .order_by(ChatMessage.seq)
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class IdleChats:
    to_warn: list[int]
    to_close: list[int]


async def idle_conversations(session: AsyncSession, warn_before: datetime, close_before: datetime) -> IdleChats:
    """Chats with nobody typing: warned first, closed once the warning has gone unanswered.

    Queued chats are left alone: the customer is waiting for us, not the other way round.
    """
    talking = Conversation.status.in_([ChatStatus.BOT.value, ChatStatus.ACTIVE.value])
    warn = await session.scalars(
        select(Conversation.id).where(
            talking, Conversation.idle_warned_at.is_(None), Conversation.last_activity_at < warn_before
        )
    )
    close = await session.scalars(
        select(Conversation.id).where(
            talking, Conversation.idle_warned_at.is_not(None), Conversation.last_activity_at < close_before
        )
    )
    return IdleChats(list(warn.all()), list(close.all()))
