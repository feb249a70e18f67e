"""Chat tables: the conversation, its numbered messages, and which agents are connected."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class ChatStatus(StrEnum):
    BOT = "bot"  # the answer bot is talking
    QUEUED = "queued"  # waiting for a person
    ACTIVE = "active"  # an agent has it
    ENDED = "ended"


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


OPEN_STATUSES = (ChatStatus.BOT.value, ChatStatus.QUEUED.value, ChatStatus.ACTIVE.value)


class Conversation(Base):
    __tablename__ = "chat_conversations"
    __table_args__ = (
        Index("ix_chat_conversations_customer_status", "customer_id", "status"),
        Index("ix_chat_conversations_queue", "status", "team_id", "queue_rank", "queued_at", "id"),
        Index("ix_chat_conversations_agent_status", "agent_id", "status"),
        Index("ix_chat_conversations_status_activity", "status", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), default=ChatStatus.BOT.value)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"), default=None)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"), default=None)
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0 for emergencies, 1 otherwise: the queue serves urgent chats first, then by arrival.
    queue_rank: Mapped[int] = mapped_column(SmallInteger, default=1)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    bot_misses: Mapped[int] = mapped_column(SmallInteger, default=0)
    # The seq of the last customer message the bot answered: claimed in the answer's own
    # transaction, so a message is answered once even after a crash and a resume.
    bot_answered_seq: Mapped[int] = mapped_column(Integer, default=0)
    customer_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    idle_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_by: Mapped[str | None] = mapped_column(String(10), default=None)  # customer, agent, idle
    rating: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    rating_comment: Mapped[str | None] = mapped_column(Text, default=None)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The customer's language when the chat started: what the chat says to them (system
    # messages, also those an agent's action or a sweep causes) is written in it. NULL: Korean.
    locale: Mapped[str | None] = mapped_column(String(8), default=None)


class ChatMessage(Base):
    """One line of a chat. ``seq`` counts per conversation; internal notes share the count but
    are never sent to the customer."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_chat_messages_conversation_seq"),
        UniqueConstraint("conversation_id", "sender", "client_msg_id", name="uq_chat_messages_conversation_client_msg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("chat_conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    client_msg_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Bot answers (article id, suggestions, buttons), offers, and image metadata.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgentPresence(Base):
    """An agent's console is connected: refreshed by a heartbeat from whichever process holds
    the socket, so every process (and the queue's ETA) sees who is online without Redis."""

    __tablename__ = "chat_agent_presence"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
