"""Shapes of the suspension appeal on the API: what the customer sends, what the agent decides, what both see."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from gogaek.appeals.models import AppealOutcome
from gogaek.calendar.hours import SEOUL
from gogaek.db import utcnow
from gogaek.inquiries.workflow import Status
from gogaek.web.i18n import N_

EARLIEST_RESTRICTION = date(2000, 1, 1)  # a typo like 0202-12-01 is not a date anyone was restricted on

# The form fields' names in Korean, for per-field messages on the page and in the API's errors.
APPEAL_LABELS = {
    "description": N_("해명 내용"),
    "restricted_on": N_("이용 제한일"),
    "restriction_ref": N_("제한 안내 번호"),
}
# What the customer sees in 문의 내역, by outcome.
OUTCOME_LABELS: dict[str, str] = {
    AppealOutcome.PENDING: N_("검토 중"),
    AppealOutcome.LIFTED: N_("해제"),
    AppealOutcome.KEPT: N_("유지"),
    AppealOutcome.MORE_EVIDENCE: N_("추가 자료 요청"),
}


def seoul_today() -> date:
    return utcnow().astimezone(SEOUL).date()


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(N_("내용을 입력해 주세요."))
    return value


class AppealCreate(BaseModel):
    """The guided form's fields; the evidence files travel next to them in the same multipart body."""

    description: str = Field(min_length=1, max_length=5000, description="무슨 일이 있었는지 (what happened)")
    restricted_on: date = Field(description="이용 제한일 (YYYY-MM-DD, Korean date, not in the future)")
    restriction_ref: str | None = Field(default=None, max_length=100, description="제한 안내 번호 (optional)")

    _strip = field_validator("description")(_stripped)

    @field_validator("restricted_on")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > seoul_today() or value < EARLIEST_RESTRICTION:
            raise ValueError(N_("이용 제한일은 오늘이나 그 이전 날짜여야 합니다."))
        return value

    @field_validator("restriction_ref")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        """Optional: blank means none. Control characters would travel into the host app's webhook."""
        if value is None or not value.strip():
            return None
        if any(unicodedata.category(ch)[0] == "C" for ch in value):
            raise ValueError(N_("제한 안내 번호에 쓸 수 없는 문자가 있습니다."))
        return value.strip()


class AppealDecision(BaseModel):
    outcome: Literal["lifted", "kept", "more_evidence"] = Field(
        description="lifted (해제), kept (유지) or more_evidence (추가 자료 요청)"
    )
    reason: str = Field(default="", max_length=2000, description="Required for kept and more_evidence")

    @model_validator(mode="after")
    def _reason_when_needed(self) -> AppealDecision:
        self.reason = self.reason.strip()
        if self.outcome != AppealOutcome.LIFTED.value and not self.reason:
            raise PydanticCustomError(
                "reason_required",
                N_("유지 사유나 필요한 자료를 적어 주세요. 고객에게 그대로 전달됩니다."),
            )
        return self


class AppealPublic(BaseModel):
    """One appeal as its customer (and the agent) sees it; ``label`` is the words shown in 문의 내역."""

    id: int
    inquiry_id: int
    number: str
    inquiry_status: Status
    restricted_on: date
    restriction_ref: str | None
    outcome: AppealOutcome
    label: str
    outcome_reason: str
    decided_at: datetime | None
    verified_at: datetime | None
    verified_by: str | None
    created_at: datetime


class AppealList(BaseModel):
    items: list[AppealPublic]
    total: int
