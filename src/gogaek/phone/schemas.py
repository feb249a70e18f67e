"""Shapes of callbacks (상담 예약) and identity checks on the customer API."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from gogaek.web.i18n import N_


class SlotPublic(BaseModel):
    start: datetime  # ISO 8601 in Korean time (+09:00)
    end: datetime
    capacity: int
    remaining: int


class SlotList(BaseModel):
    slots: list[SlotPublic]


class CallbackCreate(BaseModel):
    category: str = Field(min_length=1, max_length=80, description="Category slug or name")
    slot_start: AwareDatetime = Field(description="The start of an offered slot, with its UTC offset")
    phone: str = Field(min_length=1, max_length=40, description="The mobile number to call")
    note: str = Field(default="", max_length=1000, description="What the call is about (optional)")

    @field_validator("category", "phone", "note")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class CallbackReschedule(BaseModel):
    slot_start: AwareDatetime


class CallbackPublic(BaseModel):
    id: int
    number: str
    status: str
    kind: str
    category: str  # slug
    category_name: str
    slot_start: datetime | None
    slot_end: datetime | None
    phone: str  # masked: 010-****-5678
    note: str
    inquiry_id: int | None
    inquiry_number: str | None
    created_at: datetime
    can_cancel: bool
    can_reschedule: bool


class CallbackList(BaseModel):
    callbacks: list[CallbackPublic]


class PhoneCodeRequest(BaseModel):
    phone: str = Field(min_length=1, max_length=40)


class PhoneCodeConfirm(PhoneCodeRequest):
    code: str = Field(min_length=1, max_length=20)


class CodeSent(BaseModel):
    phone: str  # masked
    expires_in_seconds: int


class VerificationStatus(BaseModel):
    verified: bool
    method: str | None = None  # host_token | sms_code
    verified_at: datetime | None = None
    valid_until: datetime | None = None


class CapacityRange(BaseModel):
    """A time range (both ends optional: from opening, until closing) and the agents on duty in it."""

    starts: time | None = None
    ends: time | None = None
    capacity: int = Field(ge=0, le=1000, description="Phone agents on duty; 0 takes no bookings")

    @model_validator(mode="after")
    def _ordered(self) -> CapacityRange:
        if self.starts is not None and self.ends is not None and self.starts >= self.ends:
            raise ValueError(N_("시작 시각(starts)은 끝 시각(ends)보다 빨라야 합니다."))
        return self


class RosterEntryCreate(CapacityRange):
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday; null = the default for every day")


class RosterEntryPublic(RosterEntryCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int


class CapacityOverrideCreate(CapacityRange):
    day: date
    note: str = Field(default="", max_length=200)


class CapacityOverridePublic(CapacityOverrideCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int


class RosterPublic(BaseModel):
    fallback_capacity: int  # GOGAEK_CALLBACK_DEFAULT_CAPACITY, used when no entry covers a slot
    entries: list[RosterEntryPublic]
    overrides: list[CapacityOverridePublic]
