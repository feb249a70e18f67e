"""Shapes of the phone agents' API: the callback board, one callback, identity checks, outcomes, checklist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from gogaek.identity.schemas import StaffRef
from gogaek.inquiries.agent_schemas import InquiryRef
from gogaek.inquiries.workflow import Status
from gogaek.web.i18n import N_

Group = Literal["overdue", "in_progress", "missed_call", "retry", "slot", "finished"]
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class CallbackCategory(BaseModel):
    id: int
    name: str
    requires_verification: bool


class HistoryCounts(BaseModel):
    """How often the customer already got in touch: repeat callers stand out on the board."""

    inquiries: int = Field(description="Inquiries other than this callback's own")
    chats: int
    callbacks: int = Field(description="Other callbacks, finished or not")


class CallbackSummary(BaseModel):
    """One line of the board. ``customer_name`` is the family name only until a passing check."""

    id: int
    number: str
    kind: Literal["booked", "missed_call"]
    status: str
    status_label: str
    group: Group
    group_label: str
    category: CallbackCategory | None
    customer_id: int | None
    customer_name: str | None
    phone: str = Field(description="The number to dial, in full: the agent must be able to call it")
    slot_start: datetime | None
    slot_end: datetime | None
    due_at: datetime = Field(description="When the next call should be made")
    attempts: int = Field(description="Calls nobody answered so far")
    claimed_by: StaffRef | None
    claimed_at: datetime | None
    overdue: bool = Field(description="Flagged once by the sweep and still not started (기한 초과)")
    overdue_flagged_at: datetime | None
    verified_at: datetime | None = Field(description="Identity check at booking (host token or SMS code)")
    verified_by: str | None
    inquiry_id: int | None
    inquiry_number: str | None
    history_counts: HistoryCounts | None = Field(description="null when the caller is not a known customer")


class CallbackList(BaseModel):
    day: date | None = Field(description="The Seoul date shown; null: today and upcoming")
    items: list[CallbackSummary] = Field(
        description="In board order: overdue, in progress, missed calls, retries, slots"
    )


class IdentityCheckPublic(BaseModel):
    id: int
    callback_id: int | None
    passed: bool
    answers: dict[str, bool] = Field(description="Each checklist question and whether it was checked")
    note: str
    staff: StaffRef | None
    created_at: datetime


class CustomerCard(BaseModel):
    """Masked (``masked: true``) until a passing identity check is recorded for this callback."""

    id: int
    name: str | None
    email: str | None
    phone: str | None = Field(description="The customer's registered number (may differ from the one to dial)")
    source: str
    masked: bool


class CallbackInquiry(BaseModel):
    id: int
    number: str
    title: str
    body: str
    status: Status
    status_label: str
    transaction_ref: str | None


class ChatRef(BaseModel):
    id: int
    status: str
    preview: str
    created_at: datetime


class CallbackRef(BaseModel):
    id: int
    number: str
    status: str
    status_label: str
    slot_start: datetime | None
    outcome_note: str
    created_at: datetime


class CustomerHistory(BaseModel):
    inquiries: list[InquiryRef]
    chats: list[ChatRef]
    callbacks: list[CallbackRef] = Field(description="Earlier callbacks of the customer, newest first")


class CallbackDetail(CallbackSummary):
    note: str = Field(description="What the customer wrote when booking")
    outcome_note: str
    finished_at: datetime | None
    identity_confirmed: bool = Field(description="A passing identity check was recorded for this callback")
    latest_check: IdentityCheckPublic | None = Field(description="The customer's latest identity check (any call)")
    checklist: list[str] = Field(description="The questions to ask before discussing anything")
    customer: CustomerCard | None
    inquiry: CallbackInquiry | None
    history: CustomerHistory


class IdentityCheckCreate(BaseModel):
    passed: bool
    checked: list[Question] = Field(default_factory=list, max_length=50, description="Questions that were checked")
    note: Note = ""


class OutcomeCreate(BaseModel):
    """통화 완료 (completed), 부재중 (no_answer) or 재예약 (rescheduled, with ``slot_start``)."""

    outcome: Literal["completed", "no_answer", "rescheduled"]
    note: Note = ""
    visible_to_customer: bool = Field(
        default=False, description="completed only: the note is a reply the customer reads (고객에게도 보이기)"
    )
    resolve: bool = Field(default=False, description="completed only: resolve the callback's inquiry")
    slot_start: datetime | None = Field(default=None, description="rescheduled only: the new slot")

    @model_validator(mode="after")
    def _fits_outcome(self) -> OutcomeCreate:
        if self.outcome == "rescheduled" and self.slot_start is None:
            raise ValueError(N_("재예약하려면 새 시간(slot_start)을 보내 주세요."))
        if self.outcome != "rescheduled" and self.slot_start is not None:
            raise ValueError(N_("새 시간(slot_start)은 재예약(rescheduled)일 때만 보낼 수 있습니다."))
        if self.outcome != "completed" and (self.resolve or self.visible_to_customer):
            raise ValueError(N_("resolve와 visible_to_customer는 통화 완료(completed)일 때만 보낼 수 있습니다."))
        return self


class ChecklistItemCreate(BaseModel):
    question: Question
    position: int | None = Field(default=None, ge=0, le=10_000, description="null: after the last question")
    is_active: bool = True


class ChecklistItemUpdate(BaseModel):
    question: Question | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    is_active: bool | None = None


class ChecklistItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    question: str
    is_active: bool


class CallChecklist(BaseModel):
    items: list[ChecklistItemPublic]
    questions: list[str] = Field(description="What agents are asked now")
    defaults_in_use: bool = Field(description="True while no question is stored and the built-in list applies")
