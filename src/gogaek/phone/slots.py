"""Which callback slots are offered, and how many agents are on duty in each.

Slots are ``callback_slot_minutes`` long, inside business hours on business days (Korean
public holidays and company days off excluded), at least ``callback_lead_minutes`` ahead, and
at most ``MAX_DAYS`` days ahead. A slot's capacity comes from the roster: a date override,
else the weekday's entry, else the default entry, else ``callback_default_capacity``; within
each level an entry with a time range beats one for the whole day.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.phone.models import CallbackCapacityOverride, CallbackRosterEntry, CallbackSlot
from gogaek.web.i18n import N_

MAX_DAYS = 14


@dataclass(frozen=True, slots=True)
class CapacityRule:
    starts: time | None
    ends: time | None
    capacity: int

    def covers(self, moment: time) -> bool:
        return (self.starts is None or self.starts <= moment) and (self.ends is None or moment < self.ends)

    @property
    def has_range(self) -> bool:
        return self.starts is not None or self.ends is not None


@dataclass(frozen=True, slots=True)
class Roster:
    default_rules: tuple[CapacityRule, ...]
    weekday_rules: dict[int, tuple[CapacityRule, ...]]
    day_rules: dict[date, tuple[CapacityRule, ...]]
    fallback: int

    def capacity(self, start: datetime) -> int:
        local = start.astimezone(SEOUL)
        moment = local.time()
        for rules in (
            self.day_rules.get(local.date(), ()),
            self.weekday_rules.get(local.weekday(), ()),
            self.default_rules,
        ):
            chosen = _most_specific(rules, moment)
            if chosen is not None:
                return chosen.capacity
        return self.fallback


def _most_specific(rules: Sequence[CapacityRule], moment: time) -> CapacityRule | None:
    covering = [rule for rule in rules if rule.covers(moment)]
    ranged = [rule for rule in covering if rule.has_range]
    pool = ranged or covering
    return pool[0] if pool else None


async def load_roster(session: AsyncSession, settings: Settings) -> Roster:
    entries = (await session.scalars(select(CallbackRosterEntry).order_by(CallbackRosterEntry.id))).all()
    overrides = (await session.scalars(select(CallbackCapacityOverride).order_by(CallbackCapacityOverride.id))).all()
    weekday_rules: dict[int, tuple[CapacityRule, ...]] = {}
    default_rules: list[CapacityRule] = []
    for entry in entries:
        rule = CapacityRule(entry.starts, entry.ends, entry.capacity)
        if entry.weekday is None:
            default_rules.append(rule)
        else:
            weekday_rules[entry.weekday] = (*weekday_rules.get(entry.weekday, ()), rule)
    day_rules: dict[date, tuple[CapacityRule, ...]] = {}
    for override in overrides:
        rule = CapacityRule(override.starts, override.ends, override.capacity)
        day_rules[override.day] = (*day_rules.get(override.day, ()), rule)
    return Roster(tuple(default_rules), weekday_rules, day_rules, settings.callback_default_capacity)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # Seoul time
    end: datetime
    capacity: int


def _slot_length(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.callback_slot_minutes)


def _day_slots(hours: BusinessHours, roster: Roster, day: date, settings: Settings) -> Iterator[Slot]:
    if not hours.is_business_day(day):
        return
    length = _slot_length(settings)
    start = datetime.combine(day, hours.opens, tzinfo=SEOUL)
    closes = datetime.combine(day, hours.closes, tzinfo=SEOUL)
    while start + length <= closes:
        capacity = roster.capacity(start)
        if capacity > 0:
            yield Slot(start, start + length, capacity)
        start += length


def offered_slots(hours: BusinessHours, roster: Roster, now: datetime, days: int, settings: Settings) -> list[Slot]:
    """Every bookable slot from today through ``days`` calendar days (today counts as the first)."""
    earliest = now + timedelta(minutes=settings.callback_lead_minutes)
    today = now.astimezone(SEOUL).date()
    slots: list[Slot] = []
    for offset in range(days):
        slots.extend(
            slot
            for slot in _day_slots(hours, roster, today + timedelta(days=offset), settings)
            if slot.start >= earliest
        )
    return slots


def slot_unavailable() -> ProblemError:
    return ProblemError(
        422,
        "slot_unavailable",
        N_("예약할 수 없는 시간입니다. 상담 가능한 시간 중에서 골라 주세요."),
        errors=[{"loc": ["body", "slot_start"], "message": "not an offered slot"}],
    )


def checked_slot(hours: BusinessHours, roster: Roster, start: datetime, now: datetime, settings: Settings) -> Slot:
    """The offered slot starting exactly at ``start``; anything else (past, too soon, holiday,
    outside hours, misaligned, no agents on duty, too far ahead) is ``slot_unavailable``."""
    if start.utcoffset() is None:
        raise slot_unavailable()
    local = start.astimezone(SEOUL)
    if local.date() >= now.astimezone(SEOUL).date() + timedelta(days=MAX_DAYS):
        raise slot_unavailable()
    for slot in _day_slots(hours, roster, local.date(), settings):
        if slot.start == local and slot.start >= now + timedelta(minutes=settings.callback_lead_minutes):
            return slot
    raise slot_unavailable()


async def booked_counts(session: AsyncSession, starts: Sequence[datetime]) -> dict[datetime, int]:
    if not starts:
        return {}
    rows = await session.execute(
        select(CallbackSlot.slot_start, CallbackSlot.booked).where(
            CallbackSlot.slot_start >= min(starts), CallbackSlot.slot_start <= max(starts)
        )
    )
    return {start: booked for start, booked in rows}
