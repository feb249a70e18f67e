"""Shapes of inquiries on the API: what customers send and see, and what agents see."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gogaek.inquiries.models import Priority
from gogaek.inquiries.workflow import Status
from gogaek.web.i18n import gettext


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(gettext("내용을 입력해 주세요."))
    return value


class InquiryCreate(BaseModel):
    category: str = Field(min_length=1, max_length=80, description="Category slug or name")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    transaction_ref: str | None = Field(default=None, max_length=100, description="결제·거래 번호 (optional)")

    _strip = field_validator("category", "title", "body")(_stripped)

    @field_validator("transaction_ref")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class MessageCreate(BaseModel):
    body: str = Field(min_length=1, max_length=5000)

    _strip = field_validator("body")(_stripped)


class AgentReplyCreate(MessageCreate):
    internal: bool = False


class StatusChange(BaseModel):
    status: Status


class FeedbackCreate(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


class CategoryRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str


class AttachmentPublic(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class MessagePublic(BaseModel):
    id: int
    author: Literal["customer", "agent", "system"]
    author_name: str | None
    internal: bool
    body: str
    created_at: datetime
    attachments: list[AttachmentPublic]


class FeedbackPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    score: int
    comment: str
    created_at: datetime


class InquirySummary(BaseModel):
    id: int
    number: str
    status: Status
    status_label: str
    category: CategoryRef
    channel: str  # web | chat | phone | email: how it reached the center
    title: str
    priority: Priority
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    # Which promise is next: the first answer until it was given, then the resolution.
    first_responded_at: datetime | None = None


class InquiryPublic(InquirySummary):
    """What the customer sees in 문의 내역: the thread without internal notes."""

    body: str
    transaction_ref: str | None
    is_emergency: bool
    emergency_guidance: str | None
    pii_notice: str
    resolved_at: datetime | None
    reopen_until: datetime | None
    can_rate: bool
    feedback: FeedbackPublic | None
    attachments: list[AttachmentPublic]
    messages: list[MessagePublic]


class InquiryList(BaseModel):
    items: list[InquirySummary]
    total: int
