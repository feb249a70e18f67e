"""Who uses Gogaek: staff (agents, supervisors, admins) in teams, and customers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class StaffRole(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Availability(StrEnum):
    """Whether an agent takes new work; round-robin only picks available agents."""

    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=StaffRole.AGENT.value)
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Tokens and sessions signed before this instant are refused: set when the account is
    # deactivated, so reactivating it does not revive what was handed out before.
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    availability: Mapped[str] = mapped_column(String(20), default=Availability.AVAILABLE.value)
    max_open_inquiries: Mapped[int | None] = mapped_column(Integer, default=None)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The phone system's name for this agent's phone (answeringNumber); matched for screen-pops.
    phone_extension: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    # The language they read the console in (set at sign-in and by the language switch): their
    # notifications (assignment, SLA warnings) are written in it. NULL reads as Korean.
    locale: Mapped[str | None] = mapped_column(String(8), default=None)


class Team(Base):
    """A group of agents; categories route to teams, emergencies to the team marked security."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    handles_emergencies: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)


class TeamCategory(Base):
    """Which team handles inquiries in a category."""

    __tablename__ = "team_categories"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)


class AgentSkill(Base):
    """An agent can answer inquiries of this category (round-robin looks here)."""

    __tablename__ = "agent_skills"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)


class CustomerSource(StrEnum):
    HOST = "host"  # signed in by the host app's token
    EMAIL = "email"  # web visitor who proved an email address with a one-time code
    PHONE = "phone"  # web visitor who proved a phone number with a one-time code


class Customer(Base):
    """A customer as the host app (or a one-time code) identified them.

    ``external_id`` is the host's ``sub``, or ``email:…`` / ``phone:…`` for web visitors, so
    every identity maps to exactly one row.
    """

    __tablename__ = "customers"
    # Host ids and web-visitor ids are separate namespaces: a host ``sub`` of "email:a@b" is
    # not the visitor who proved a@b.
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(140))
    source: Mapped[str] = mapped_column(String(10), default=CustomerSource.HOST.value)
    name: Mapped[str | None] = mapped_column(String(100), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(30), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OneTimeCode(Base):
    """A sign-in code sent to a web visitor; only its hash is kept."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    destination: Mapped[str] = mapped_column(String(254), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    requested_ip: Mapped[str | None] = mapped_column(String(64), default=None)


class UsedTokenId(Base):
    """Host tokens exchanged for a page session: each ``jti`` works once (no replays)."""

    __tablename__ = "used_token_ids"

    jti: Mapped[str] = mapped_column(String(100), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LoginThrottle(Base):
    """Failed staff sign-ins counted per (account, client) and per client, so a stranger's
    guesses lock out the stranger, not the account's owner."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
