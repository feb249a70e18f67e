"""The email channel's tables: every accepted mail as it arrived, the ids that thread it, our sent mail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class InboundStatus(StrEnum):
    RECEIVED = "received"  # stored and acknowledged to the sender's server; not yet read
    PROCESSED = "processed"  # became an inquiry or a message of one
    IGNORED = "ignored"  # auto-reply, bulk, over the sender's rate, or a bounce: opens nothing
    FAILED = "failed"  # could not be read as a mail; kept for an admin to look at


class InboundMail(Base):
    """One accepted mail, raw bytes included, so nothing a sender's server handed over is lost.

    ``dedupe_key`` (the hashed Message-ID, else the hashed bytes) is unique: the same mail from a
    retrying relay, or from IMAP and SMTP both, is stored once.
    """

    __tablename__ = "inbound_mails"
    __table_args__ = (Index("ix_inbound_mails_sender_received", "sender", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    source: Mapped[str] = mapped_column(String(10))  # smtp | imap
    envelope_sender: Mapped[str | None] = mapped_column(String(254), default=None)
    envelope_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    raw: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=InboundStatus.RECEIVED.value, index=True)
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    sender: Mapped[str | None] = mapped_column(String(254), default=None)
    subject: Mapped[str | None] = mapped_column(String(200), default=None)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"), default=None)
    inquiry_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inquiry_messages.id", ondelete="SET NULL"), default=None, index=True
    )
    # Attachments the content checks refused: [{"name", "reason"}], listed to the agent.
    refused_files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MailDirection(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class MailThreadId(Base):
    """A Message-ID we have seen or sent, and the inquiry it belongs to: how replies find their thread.

    Keyed by the hash of the normalised id, since ids may be longer than an index allows.
    """

    __tablename__ = "mail_thread_ids"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255))
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboundKind(StrEnum):
    REPLY = "reply"  # an agent's public answer to an email inquiry
    ACKNOWLEDGEMENT = "acknowledgement"  # automatic: "we got your mail, number …, answer by …"
    NOTIFICATION = "notification"  # "your inquiry was answered" to a web customer who chose email


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # retries exhausted or refused for good
    BOUNCED = "bounced"  # accepted by the relay, then returned by the customer's server


class OutboundMail(Base):
    """A mail we send about an inquiry; its status is shown to the agent next to the message."""

    __tablename__ = "outbound_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    inquiry_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inquiry_messages.id", ondelete="SET NULL"), default=None, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default=OutboundStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
