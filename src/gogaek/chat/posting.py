"""The sockets' hot path for a person's message: the chat's rights, its seq and the message in
one guarded UPDATE, one INSERT and the commit, from statements built once.

Profiling the fan-out benchmark showed the database path (SQLAlchemy and asyncpg) as three
quarters of the server's CPU per message, and building each statement (coercing its values) as
much as running it; ``post_message`` in ``service`` stays the general form.
"""

from __future__ import annotations

import functools
from enum import Enum

from sqlalchemy import BindParameter, ColumnElement, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatStatus, Conversation, Sender
from gogaek.chat.service import Draft, Outcome, activity, commit_once
from gogaek.db import UTCDateTime, utcnow


class Guard(Enum):
    """Who may post into a chat, checked by the statement that takes the seq (``post_if``)."""

    CUSTOMER = "customer"  # its customer, while it has not ended (``own_conversation``)
    AGENT = "agent"  # the agent holding it, while active (``check_agent_owns``)
    ANYONE = "anyone"  # a supervisor's note

    def conditions(self) -> tuple[ColumnElement[bool], ...]:
        who: BindParameter[int] = bindparam("who")
        if self is Guard.CUSTOMER:
            return (Conversation.customer_id == who, Conversation.status != ChatStatus.ENDED.value)
        if self is Guard.AGENT:
            return (Conversation.agent_id == who, Conversation.status == ChatStatus.ACTIVE.value)
        return ()


@functools.cache
def _guarded_seq(guard: Guard, sender: Sender, internal: bool) -> Update:
    """Built once per kind: building a statement (coercing its values) cost more CPU than running
    it; each message only binds its parameters."""
    now = bindparam("now", type_=UTCDateTime())
    return (
        update(Conversation)
        .where(Conversation.id == bindparam("conversation"), *guard.conditions())
        .values(**activity(sender, internal, now))
        .returning(Conversation)
        .execution_options(synchronize_session=False)
    )


async def post_if(
    session: AsyncSession,
    conversation_id: int,
    guard: Guard,
    who: int | None,
    draft: Draft,
    agent_name: str | None = None,
) -> Outcome | None:
    """``post_message`` for a chat not loaded yet, the sockets' hot path: one UPDATE checks that
    ``who`` may post (``guard``), takes the seq and returns the chat, so a message costs that
    statement, its INSERT and the commit; a resend is caught by the unique constraint (the session
    is rolled back, so use a fresh one). None when the chat does not allow it: the caller loads it
    to say why."""
    now = utcnow()
    statement = _guarded_seq(guard, draft.sender, draft.internal)
    conversation = await session.scalar(statement, {"conversation": conversation_id, "who": who, "now": now})
    if conversation is None:
        return None
    return await commit_once(session, conversation, draft, now, agent_name)
