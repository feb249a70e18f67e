"""Shapes of the CTI admin, call log and phone-wait APIs (docs/phone-cti.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from gogaek.chat.schemas import CallCustomer
from gogaek.identity.schemas import StaffRef
from gogaek.web.ids import Id


class CtiTokenCreate(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    signed: bool = Field(default=False, description="Also issue an HMAC secret; unsigned pushes are then refused")


class CtiTokenPublic(BaseModel):
    id: int
    name: str
    signed: bool
    created_at: datetime
    created_by_id: int | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class CtiTokenCreated(CtiTokenPublic):
    """Returned once: only a hash of the token is stored, so it cannot be shown again."""

    token: str
    push_path: str
    signing_secret: str | None


class CallLogPublic(BaseModel):
    id: int
    call_id: str
    direction: str
    from_number: str = Field(serialization_alias="from")
    to: str
    queue: str | None
    state: str
    cause: str | None
    missed: bool
    answering_number: str | None
    user_names: list[str]
    agent: StaffRef | None
    customer: CallCustomer | None
    customer_matches: int
    callback_id: int | None
    inquiry_id: int | None
    notes: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    answer_seconds: int | None


class CallPage(BaseModel):
    items: list[CallLogPublic]
    next_before_id: int | None


class CallNoteCreate(BaseModel):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    inquiry_id: Id | None = Field(default=None, description="An inquiry of the caller; omitted: the call's inquiry")
    category: str | None = Field(
        default=None, max_length=80, description="Slug or name; needed when the note opens a new phone inquiry"
    )


class CallNoteFiled(BaseModel):
    call: CallLogPublic
    inquiry_id: int
    inquiry_number: str | None
    created_inquiry: bool


class PhoneWait(BaseModel):
    waiting: int
    average_answer_seconds: int | None
    estimated_wait_seconds: int | None
