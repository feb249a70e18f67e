"""Phone consultation: the callback roster, bookings, identity checks and phone-system calls."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class CallbackStatus(StrEnum):
    BOOKED = "booked"  # waiting for its slot (or, for a missed call, for someone to ring back)
    IN_PROGRESS = "in_progress"  # an agent claimed it and is calling
    RETRY = "retry"  # nobody answered; the next attempt is due at next_attempt_at
    COMPLETED = "completed"  # 통화 완료
    MISSED = "missed"  # 부재중 after every retry
    CANCELLED = "cancelled"


ACTIVE_CALLBACK_STATUSES = (CallbackStatus.BOOKED.value, CallbackStatus.IN_PROGRESS.value, CallbackStatus.RETRY.value)


class CallbackKind(StrEnum):
    BOOKED = "booked"  # the customer chose a slot
    MISSED_CALL = "missed_call"  # the phone system reported an inbound call nobody answered


class CallbackRosterEntry(Base):
    """How many phone agents are on duty: per weekday and time range, or the default (weekday NULL).

    A slot takes the capacity of the most specific entry covering it: a weekday entry over the
    default. Date overrides (CallbackCapacityOverride) win over both.
    """

    __tablename__ = "callback_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # 0 = Monday; NULL = default
    starts: Mapped[time | None] = mapped_column(Time, default=None)  # NULL = from opening
    ends: Mapped[time | None] = mapped_column(Time, default=None)  # NULL = until closing
    capacity: Mapped[int] = mapped_column(Integer)


class CallbackCapacityOverride(Base):
    """One date's capacity (0 closes callbacks that day), for a time range or the whole day."""

    __tablename__ = "callback_capacity_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    starts: Mapped[time | None] = mapped_column(Time, default=None)
    ends: Mapped[time | None] = mapped_column(Time, default=None)
    capacity: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")


class CallbackSlot(Base):
    """Places taken in one slot. Bookings raise ``booked`` with a conditional UPDATE, so the
    database, not the app, decides who gets the last place."""

    __tablename__ = "callback_slots"

    slot_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class Callback(Base):
    __tablename__ = "callbacks"
    __table_args__ = (
        Index("ix_callbacks_customer_status", "customer_id", "status"),
        Index("ix_callbacks_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True, default=None)
    kind: Mapped[str] = mapped_column(String(12), default=CallbackKind.BOOKED.value)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), default=None)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"), default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), default=None)
    phone: Mapped[str] = mapped_column(String(30))  # bare digits; shown masked to customers
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=CallbackStatus.BOOKED.value)
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # NULL for missed calls
    slot_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when the next call should be made
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # calls made that nobody answered
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # identity check at booking
    verified_by: Mapped[str | None] = mapped_column(String(12), default=None)  # host_token | sms_code
    call_id: Mapped[str | None] = mapped_column(String(120), default=None)  # the missed call it came from
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PhoneVerification(Base):
    """A web visitor proved, with a one-time code, that they hold this phone number."""

    __tablename__ = "phone_verifications"
    __table_args__ = (Index("ix_phone_verifications_customer", "customer_id", "phone", "verified_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(30))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CallChecklistItem(Base):
    """A question the agent asks before discussing anything (본인 확인 질문), set by admins."""

    __tablename__ = "call_checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    question: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class IdentityCheck(Base):
    """What the agent recorded after checking who is on the line; also written to the audit log."""

    __tablename__ = "identity_checks"
    __table_args__ = (Index("ix_identity_checks_customer", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id", ondelete="SET NULL"), default=None)
    call_log_id: Mapped[int | None] = mapped_column(ForeignKey("call_logs.id", ondelete="SET NULL"), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    passed: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # question -> checked
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CtiToken(Base):
    """A secret in the phone system's push URL; several can exist and each can be revoked."""

    __tablename__ = "cti_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the URL token
    signing_secret: Mapped[str | None] = mapped_column(String(100), default=None)  # optional HMAC key
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CallLog(Base):
    """One phone call as the phone system reported it (newCall, answer, hangup)."""

    __tablename__ = "call_logs"
    __table_args__ = (Index("ix_call_logs_started", "started_at"), Index("ix_call_logs_from", "from_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(120), unique=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    from_number: Mapped[str] = mapped_column(String(40), default="")
    to_number: Mapped[str] = mapped_column(String(40), default="")
    queue: Mapped[str | None] = mapped_column(String(80), default=None)
    state: Mapped[str] = mapped_column(String(10), default="ringing")  # ringing | answered | ended
    cause: Mapped[str | None] = mapped_column(String(40), default=None)
    answering_number: Mapped[str | None] = mapped_column(String(40), default=None)
    user_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), default=None)
    customer_matches: Mapped[int] = mapped_column(Integer, default=0)  # 0 none, 1 one, 2+ several
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id", ondelete="SET NULL"), default=None)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CtiEvent(Base):
    """Each (callId, event) once: a PBX that repeats a push changes nothing the second time."""

    __tablename__ = "cti_events"
    __table_args__ = (UniqueConstraint("call_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(10))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("cti_tokens.id", ondelete="SET NULL"), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CtiSignatureNonce(Base):
    """Signatures seen recently: a captured signed push cannot be replayed."""

    __tablename__ = "cti_signature_nonces"

    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
