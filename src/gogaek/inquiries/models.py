"""Online inquiries (온라인 문의): the ticket, its thread, evidence, SLA clocks and feedback."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Inquiry(Base):
    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_customer_created", "customer_id", "created_at"),
        Index("ix_inquiries_status_due", "status", "resolution_due_at"),
        # Each status list, by view or category, is a range read at any size (migration 0012).
        Index("ix_inquiries_status_id", "status", "id"),
        Index("ix_inquiries_status_queue", "status", "queue_rank", "queue_due_at", "id"),
        Index("ix_inquiries_category_status_id", "category_id", "status", "id"),
        Index("ix_inquiries_assignee_status_id", "assignee_id", "status", "id"),
        Index("ix_inquiries_team_status_id", "team_id", "status", "id"),
        # The agent queue reads these in order instead of sorting the whole open backlog.
        Index("ix_inquiries_queue", "queue_rank", "queue_due_at", "id"),
        Index("ix_inquiries_assignee_queue", "assignee_id", "queue_rank", "queue_due_at", "id"),
        Index("ix_inquiries_team_queue", "team_id", "queue_rank", "queue_due_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"), default=None)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    status: Mapped[str] = mapped_column(String(20), default="received")
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL.value)
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    transaction_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    locale: Mapped[str | None] = mapped_column(String(8), default=None)  # filed in; notifications follow
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # SLA clocks, in business time. While the inquiry waits on the customer the resolution
    # clock stops: the remaining business seconds are kept and the due time is cleared.
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_remaining_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    first_response_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    first_response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Stored queue order, kept by the ORM listener in sla.py (sla.queue_position): 0-3 by
    # priority while open, 9 once finished; the next due time, or sla.NO_DUE while paused.
    queue_rank: Mapped[int] = mapped_column(SmallInteger)
    queue_due_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InquiryMessage(Base):
    """One entry of the thread: the customer's text, an agent's public reply or internal note."""

    __tablename__ = "inquiry_messages"
    __table_args__ = (Index("ix_inquiry_messages_inquiry", "inquiry_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(10))  # customer | agent | system
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InquiryEvent(Base):
    """Timeline entries other than messages: status, assignment, priority, merge, SLA flags."""

    __tablename__ = "inquiry_events"
    __table_args__ = (Index("ix_inquiry_events_inquiry", "inquiry_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_kind: Mapped[str] = mapped_column(String(10))  # customer | agent | system
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InquiryAttachment(Base):
    __tablename__ = "inquiry_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("inquiry_messages.id", ondelete="CASCADE"), default=None)
    storage_key: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InquiryFeedback(Base):
    """The customer's rating of the answer: once per inquiry."""

    __tablename__ = "inquiry_feedback"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyKey(Base):
    """A client's retry key; the same key returns the first result instead of a second record."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))  # e.g. "customer:42:inquiry"
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InquiryViewer(Base):
    """Who has an inquiry open right now, so a second agent is warned before replying."""

    __tablename__ = "inquiry_viewers"

    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Macro(Base):
    """A saved reply with placeholders such as {고객명} and {문의번호}."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"), default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaPolicy(Base):
    """Business hours allowed for first response and resolution, by category and priority.

    The most specific row wins (category and priority, then category, then priority, then
    the default row with neither).
    """

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("category_id", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), default=None)
    priority: Mapped[str | None] = mapped_column(String(10), default=None)
    first_response_hours: Mapped[float] = mapped_column(Float)
    resolution_hours: Mapped[float] = mapped_column(Float)


# Registers the listener that keeps Inquiry.queue_rank/queue_due_at, wherever Inquiry is used.
import gogaek.inquiries.sla  # noqa: E402, F401
