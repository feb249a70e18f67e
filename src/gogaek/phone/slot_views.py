"""Slots as the booking pages show them: grouped by day, with the places left, in Korean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import SEOUL
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.phone.slots import Slot, booked_counts, load_roster, offered_slots
from gogaek.web.dates import english_day
from gogaek.web.i18n import current_language

WEEKDAYS = "월화수목금토일"
PAGE_DAYS = 7


@dataclass(frozen=True, slots=True)
class SlotChoice:
    value: str  # ISO 8601 with +09:00, as the API takes it
    label: str  # 14:00
    remaining: int


@dataclass(frozen=True, slots=True)
class SlotDay:
    day: date
    label: str  # 12월 7일 (월)
    choices: list[SlotChoice]


def day_label(day: date) -> str:
    if current_language() != "ko":
        return english_day(day)
    return f"{day.month}월 {day.day}일 ({WEEKDAYS[day.weekday()]})"


def slot_value(start: datetime) -> str:
    return start.astimezone(SEOUL).isoformat()


async def remaining_by_slot(session: AsyncSession, settings: Settings, days: int) -> list[tuple[Slot, int]]:
    slots = offered_slots(
        await load_business_hours(session), await load_roster(session, settings), utcnow(), days, settings
    )
    booked = await booked_counts(session, [slot.start for slot in slots])
    return [(slot, max(0, slot.capacity - booked.get(slot.start, 0))) for slot in slots]


async def slot_days(session: AsyncSession, settings: Settings, days: int = PAGE_DAYS) -> list[SlotDay]:
    grouped: dict[date, list[SlotChoice]] = {}
    for slot, left in await remaining_by_slot(session, settings, days):
        local = slot.start.astimezone(SEOUL)
        grouped.setdefault(local.date(), []).append(SlotChoice(slot_value(slot.start), f"{local:%H:%M}", left))
    return [SlotDay(day, day_label(day), choices) for day, choices in grouped.items()]


async def next_open_slots(session: AsyncSession, settings: Settings, count: int) -> list[tuple[str, str]]:
    """(value, "12월 7일 (월) 14:00") of the first slots with a place, for the contact page."""
    found: list[tuple[str, str]] = []
    for slot, left in await remaining_by_slot(session, settings, PAGE_DAYS):
        if left > 0:
            local = slot.start.astimezone(SEOUL)
            found.append((slot_value(slot.start), f"{day_label(local.date())} {local:%H:%M}"))
        if len(found) == count:
            break
    return found
