"""The suspension appeal (이용 제한·정지 해명): an inquiry with the restriction's details and a decision."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class AppealOutcome(StrEnum):
    PENDING = "pending"  # 검토 중
    LIFTED = "lifted"  # 해제
    KEPT = "kept"  # 유지 (with the reason)
    MORE_EVIDENCE = "more_evidence"  # 추가 자료 요청


class RestrictionAppeal(Base):
    __tablename__ = "restriction_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    restricted_on: Mapped[date] = mapped_column(Date)
    restriction_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    verified_by: Mapped[str | None] = mapped_column(String(12), default=None)
    outcome: Mapped[str] = mapped_column(String(16), default=AppealOutcome.PENDING.value)
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
