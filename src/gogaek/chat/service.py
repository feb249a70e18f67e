"""The verbs that change a chat. Each commits before it returns what to broadcast, so a client
never hears of a message the database does not have (and can always fetch it again by seq)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BindParameter, Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from gogaek.chat.models import AgentPresence, ChatMessage, ChatStatus, Conversation, Sender
from gogaek.chat.schemas import message_frame
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.identity.naming import bare_agent_name
from gogaek.korean.pii import mask_pii
from gogaek.realtime.hub import Event
from gogaek.web.i18n import N_, current_language, gettext, in_language, text_in

QUEUE_CHANNEL = "chat-queue"


def conversation_channel(conversation_id: int) -> str:
    """What the customer and agents of one chat hear."""
    return f"chat:{conversation_id}"


def staff_channel(conversation_id: int) -> str:
    """Internal notes: agents and supervisors only."""
    return f"chat:{conversation_id}:staff"


NO_TEAM_KEY = "any"  # chats without a team: any online agent may take them


def team_key(team_id: int | None) -> str:
    """How a team is named in queue frames' per-team maps (JSON object keys are strings)."""
    return NO_TEAM_KEY if team_id is None else str(team_id)


def agent_channel(staff_id: int) -> str:
    """Chats handed to this agent, on whichever process their console is connected."""
    return f"agent:{staff_id}"


@dataclass(slots=True)
class Outcome:
    """What a verb committed and what to broadcast about it."""

    conversation: Conversation
    messages: list[ChatMessage] = field(default_factory=list)
    events: list[tuple[str, Event]] = field(default_factory=list)
    created: bool = True  # False when a resent client_msg_id found the stored message

    def add_message(self, message: ChatMessage, agent_name: str | None = None) -> None:
        self.messages.append(message)
        channel = staff_channel if message.internal else conversation_channel
        self.events.append((channel(message.conversation_id), message_frame(message, agent_name)))

    def add_status(self, conversation: Conversation, **extra: Any) -> None:
        event = {
            "type": "status",
            "conversation": conversation.id,
            "status": conversation.status,
            "agent_id": conversation.agent_id,
            **extra,
        }
        self.events.append((conversation_channel(conversation.id), event))

    def queue_changed(self, team_id: int | None) -> None:
        self.events.append((QUEUE_CHANNEL, {"type": "queue_changed", "team_id": team_id}))


def _closed() -> ProblemError:
    return ProblemError(409, "chat_ended", N_("이미 종료된 상담입니다."))


def _not_yours() -> ProblemError:
    return ProblemError(403, "forbidden", N_("담당 중인 상담이 아닙니다."))


def check_text(text: str, settings: Settings) -> str:
    """Too long is refused rather than cut, so nothing is silently lost."""
    text = text.strip()
    if not text:
        raise ProblemError(422, "empty_message", N_("메시지를 입력해 주세요."))
    if len(text) > settings.chat_max_text_chars:
        raise ProblemError(
            422,
            "message_too_long",
            gettext("메시지는 %(max)s자까지 보낼 수 있습니다.") % {"max": settings.chat_max_text_chars},
        )
    return text


def activity(sender: Sender, internal: bool, now: datetime | BindParameter[datetime]) -> dict[str, Any]:
    """What taking the next seq changes on the chat: a person's visible message is activity."""
    values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1}
    if sender in (Sender.CUSTOMER, Sender.AGENT) and not internal:
        values["last_activity_at"] = now
        if sender is Sender.CUSTOMER:
            values["idle_warned_at"] = None
    return values


async def _next_seq(
    session: AsyncSession, conversation: Conversation, sender: Sender, internal: bool, now: datetime
) -> int:
    """Takes the next sequence number with one UPDATE … RETURNING (a row lock on PostgreSQL, the
    single writer on SQLite), so two processes never hand out the same number."""
    values = activity(sender, internal, now)
    seq = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(**values)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)
    )
    assert seq is not None
    for name, value in values.items():
        set_committed_value(conversation, name, seq if name == "last_seq" else value)
    return seq


@dataclass(frozen=True, slots=True)
class Draft:
    """A message before it has a seq: who says what, and how a resend is recognised."""

    sender: Sender
    text: str
    client_msg_id: str | None = None
    staff_id: int | None = None
    internal: bool = False
    payload: dict[str, Any] | None = None

    def row(self, conversation_id: int, seq: int, now: datetime) -> dict[str, Any]:
        return {
            "conversation_id": conversation_id,
            "seq": seq,
            "sender": self.sender.value,
            "staff_id": self.staff_id,
            "internal": self.internal,
            "text": self.text,
            "client_msg_id": self.client_msg_id,
            "payload": self.payload or {},
            "created_at": now,
        }


async def append_message(
    session: AsyncSession,
    conversation: Conversation,
    sender: Sender,
    text: str,
    *,
    staff_id: int | None = None,
    client_msg_id: str | None = None,
    payload: dict[str, Any] | None = None,
    internal: bool = False,
    now: datetime | None = None,
) -> ChatMessage:
    """The next message of the chat, flushed but not committed."""
    now = now or utcnow()
    draft = Draft(sender, text, client_msg_id, staff_id, internal, payload)
    message = ChatMessage(
        **draft.row(conversation.id, await _next_seq(session, conversation, sender, internal, now), now)
    )
    session.add(message)
    await session.flush()
    return message


def person_draft(sender: Sender, text: str, msg_id: str | None, staff: StaffUser | None = None) -> Draft:
    """Numbers that look like resident, card, account or phone numbers are masked as for inquiries."""
    return Draft(sender, mask_pii(text).text, msg_id, staff.id if staff else None)


_MESSAGES = cast(Table, ChatMessage.__table__)
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)  # built once: each message only binds


async def _earlier_copy(session: AsyncSession, conversation_id: int, draft: Draft) -> ChatMessage | None:
    if draft.client_msg_id is None:
        return None
    return await session.scalar(
        select(ChatMessage).where(
            ChatMessage.conversation_id == conversation_id,
            ChatMessage.sender == draft.sender.value,
            ChatMessage.client_msg_id == draft.client_msg_id,
        )
    )


async def commit_once(
    session: AsyncSession, conversation: Conversation, draft: Draft, now: datetime, agent_name: str | None
) -> Outcome:
    """Numbers and commits a person's message; a resend that raced us (or was not looked up first)
    breaks the unique constraint instead, and the first copy is the answer."""
    conversation_id = conversation.id  # the rollback below expires the object
    row = draft.row(conversation_id, conversation.last_seq, now)
    try:
        # A prepared INSERT … RETURNING rather than the unit of work: one row needs no flush plan.
        message_id = await session.scalar(_INSERT_MESSAGE, row)
        await session.commit()
    except IntegrityError:
        await session.rollback()  # the seq taken for it goes back too
        earlier = await _earlier_copy(session, conversation_id, draft)
        if earlier is None:
            raise
        return Outcome(await get_conversation(session, conversation_id), [earlier], created=False)
    outcome = Outcome(conversation)
    outcome.add_message(ChatMessage(id=message_id, **row), agent_name)
    return outcome


async def post_message(
    session: AsyncSession,
    conversation: Conversation,
    sender: Sender,
    text: str,
    *,
    client_msg_id: str | None,
    staff: StaffUser | None = None,
    internal: bool = False,
    payload: dict[str, Any] | None = None,
) -> Outcome:
    """Stores a person's message once: a resend with the same client_msg_id returns the first copy
    (looked up first, so the session's other objects survive a resend)."""
    draft = replace(person_draft(sender, text, client_msg_id, staff), internal=internal, payload=payload)
    earlier = await _earlier_copy(session, conversation.id, draft)
    if earlier is not None:
        return Outcome(conversation, [earlier], created=False)
    now = utcnow()
    await _next_seq(session, conversation, sender, internal, now)
    return await commit_once(session, conversation, draft, now, staff.display_name if staff else None)


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None:
        raise not_found("상담")
    return conversation


async def own_conversation(session: AsyncSession, customer: Customer, conversation_id: int) -> Conversation:
    """Someone else's chat looks exactly like a missing one."""
    conversation = await session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None or conversation.customer_id != customer.id:
        raise not_found("상담")
    return conversation


async def start_conversation(session: AsyncSession, customer: Customer, greeting: str) -> Outcome:
    """A new chat opens with the bot's greeting as message 1, in the customer's language (the
    built-in greeting is in the catalogue; an admin's own is used as written)."""
    conversation = Conversation(customer_id=customer.id, locale=current_language())
    session.add(conversation)
    await session.flush()
    outcome = Outcome(conversation)
    outcome.add_message(await append_message(session, conversation, Sender.BOT, in_language(greeting)))
    await session.commit()
    return outcome


async def post_system(session: AsyncSession, conversation: Conversation, text: str, **payload: Any) -> ChatMessage:
    return await append_message(session, conversation, Sender.SYSTEM, text, payload=payload or None)


async def claim(session: AsyncSession, conversation: Conversation, *conditions: Any, **values: Any) -> bool:
    """Changes the chat only if it still is as the caller saw it (one conditional UPDATE).

    Two processes (or two tabs) doing the same thing at once then cannot both post the
    system message that goes with it: the loser sees ``False`` and does nothing.
    """
    changed = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return False
    for name, value in values.items():
        set_committed_value(conversation, name, value)
    return True


def is_supervisor(staff: StaffUser) -> bool:
    return staff.role in (StaffRole.ADMIN.value, StaffRole.SUPERVISOR.value)


def check_agent_owns(conversation: Conversation, staff: StaffUser) -> None:
    if conversation.status == ChatStatus.ENDED.value:
        raise _closed()
    if conversation.agent_id != staff.id or conversation.status != ChatStatus.ACTIVE.value:
        raise _not_yours()


async def queue_to_team(
    session: AsyncSession, conversation: Conversation, team_id: int | None, text: str, now: datetime
) -> Outcome | None:
    """Puts the chat in a team's queue; a transferred chat keeps its original place in line.

    None when the chat changed meanwhile (another process queued or ended it first).
    """
    previous_agent = conversation.agent_id
    queued = await claim(
        session,
        conversation,
        Conversation.status == conversation.status,
        Conversation.agent_id.is_(None)
        if conversation.agent_id is None
        else Conversation.agent_id == conversation.agent_id,
        status=ChatStatus.QUEUED.value,
        team_id=team_id,
        agent_id=None,
        queued_at=conversation.queued_at or now,
    )
    if not queued:
        return None
    outcome = Outcome(conversation)
    if previous_agent is not None:  # a transfer back to a queue: the agent lets go of it
        outcome.events.append((agent_channel(previous_agent), {"type": "released", "conversation": conversation.id}))
    outcome.add_message(await post_system(session, conversation, text))
    await session.commit()
    outcome.add_status(conversation)
    outcome.queue_changed(team_id)
    return outcome


async def assign(session: AsyncSession, conversation_id: int, agent: StaffUser, settings: Settings) -> Outcome | None:
    """Gives a queued chat to the agent if it is still queued and they have a free seat.

    One conditional UPDATE decides, so two agents (or two processes auto-assigning) cannot both
    win; the seat count in the same statement keeps the concurrent-chat limit across processes.
    """
    now = utcnow()
    busy = (
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.agent_id == agent.id, Conversation.status == ChatStatus.ACTIVE.value)
        .scalar_subquery()
    )
    won = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.status == ChatStatus.QUEUED.value,
            busy < settings.chat_max_concurrent,
        )
        .values(status=ChatStatus.ACTIVE.value, agent_id=agent.id, accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        return None
    conversation = await get_conversation(session, conversation_id)
    outcome = Outcome(conversation)
    text = text_in(
        conversation.locale,
        N_("%(name)s 상담사가 연결되었습니다. 무엇을 도와드릴까요?"),
        name=bare_agent_name(agent.display_name),
    )
    outcome.add_message(await post_system(session, conversation, text), agent.display_name)
    await session.commit()
    outcome.add_status(conversation, agent_name=agent.display_name)
    outcome.queue_changed(conversation.team_id)
    outcome.events.append((agent_channel(agent.id), {"type": "handover", "conversation": conversation.id}))
    return outcome


async def end_conversation(session: AsyncSession, conversation: Conversation, ended_by: str) -> Outcome:
    was_queued = conversation.status == ChatStatus.QUEUED.value
    ended = await claim(
        session,
        conversation,
        Conversation.status != ChatStatus.ENDED.value,
        status=ChatStatus.ENDED.value,
        ended_at=utcnow(),
        ended_by=ended_by,
    )
    if not ended:
        raise _closed()
    outcome = Outcome(conversation)
    text = text_in(conversation.locale, N_("상담이 종료되었습니다. 상담은 어떠셨나요? 별점을 남겨 주세요."))
    outcome.add_message(await post_system(session, conversation, text, rating_requested=True))
    await session.commit()
    outcome.add_status(conversation, ended_by=ended_by)
    if was_queued:
        outcome.queue_changed(conversation.team_id)
    return outcome


async def rate_conversation(
    session: AsyncSession, conversation: Conversation, score: int, comment: str | None
) -> Conversation:
    """One rating per chat, once it has ended; the comment is masked like any customer text."""
    if conversation.status != ChatStatus.ENDED.value:
        raise ProblemError(409, "chat_not_ended", N_("상담이 끝난 뒤에 평가할 수 있습니다."))
    rated = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.rating.is_(None))
        .values(
            rating=score,
            rating_comment=mask_pii(comment.strip()).text if comment and comment.strip() else None,
            rated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if rated.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise ProblemError(409, "already_rated", N_("이미 평가하신 상담입니다."))
    await session.commit()
    return await get_conversation(session, conversation.id)


async def mark_read(session: AsyncSession, conversation: Conversation, by: Sender, seq: int) -> Outcome:
    """Read receipts only move forward, and never past the last message."""
    column = Conversation.customer_read_seq if by is Sender.CUSTOMER else Conversation.agent_read_seq
    seq = min(seq, conversation.last_seq)
    await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, column < seq)
        .values({column: seq})
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    outcome = Outcome(conversation)
    outcome.events.append(
        (
            conversation_channel(conversation.id),
            {"type": "read", "conversation": conversation.id, "by": by.value, "seq": seq},
        )
    )
    return outcome


async def touch_presence(session: AsyncSession, staff_id: int, now: datetime | None = None) -> None:
    """The heartbeat behind "online": one upsert every few seconds per connected console."""
    now = now or utcnow()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(AgentPresence).values(staff_id=staff_id, heartbeat_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[AgentPresence.staff_id], set_={"heartbeat_at": statement.excluded.heartbeat_at}
        )
    )
    await session.commit()


async def agent_names(session: AsyncSession, staff_ids: Sequence[int]) -> dict[int, str]:
    if not staff_ids:
        return {}
    rows = await session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(staff_ids)))
    return {staff_id: name for staff_id, name in rows}
