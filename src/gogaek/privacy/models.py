"""Requests made under the customers' data rights (개인정보 열람·삭제), kept as receipts.

A row names its customer only by ``subject_key``, a keyed hash of the customer's identity
(HMAC-SHA256 with the server's secret key), so the receipt of an erasure holds no personal data
and still lets a retried request answer with the first result.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gogaek.db import Base, UTCDateTime, utcnow


class PrivacyRequestKind(StrEnum):
    EXPORT = "export"
    ERASURE = "erasure"


class PrivacyRequest(Base):
    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    subject_key: Mapped[str] = mapped_column(String(64), index=True)
    # "erasure:<subject_key>" (one erasure per customer) or "export:<subject_key>:<hashed key>"
    # for an export sent with an Idempotency-Key; NULL for exports without one.
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True, default=None)
    requested_by: Mapped[str] = mapped_column(String(10))  # host | customer | cli
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
