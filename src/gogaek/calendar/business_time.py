"""Business-time arithmetic on the Korean calendar: what "within 1 business day" means.

Time only counts inside business hours on business days (weekdays that are neither Korean
public holidays, lunar and substitute days included, nor company days off). Everything is
computed in Seoul time; results come back as aware datetimes in Seoul time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from gogaek.calendar.hours import SEOUL, BusinessHours

MAX_SEARCH_DAYS = 3660  # a decade: no real calendar has that many days off in a row


def _window(hours: BusinessHours, day: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, hours.opens, tzinfo=SEOUL),
        datetime.combine(day, hours.closes, tzinfo=SEOUL),
    )


def _windows_from(hours: BusinessHours, day: date) -> Iterator[tuple[datetime, datetime]]:
    """Business windows of ``day`` and the days after it, in order."""
    for offset in range(MAX_SEARCH_DAYS):
        current = day + timedelta(days=offset)
        if hours.is_business_day(current):
            yield _window(hours, current)
    raise ValueError("no business day within ten years: check the business hours and days off")


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours | None = None) -> datetime:
    """The moment ``duration`` of business time after ``start``.

    A start outside business hours counts from the next opening; a result that lands exactly
    on closing time stays there rather than moving to the next morning.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    hours = hours or BusinessHours()
    moment = start.astimezone(SEOUL)
    if duration == timedelta(0):
        return moment
    if hours.opens >= hours.closes:
        raise ValueError("business hours must open before they close")
    remaining = duration
    for opens, closes in _windows_from(hours, moment.date()):
        if closes <= moment:
            continue
        begin = max(moment, opens)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _windows_from raises first")


def business_time_between(start: datetime, end: datetime, hours: BusinessHours | None = None) -> timedelta:
    """Business time from ``start`` to ``end`` (negative when ``end`` comes first)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end < start:
        return -business_time_between(end, start, hours)
    hours = hours or BusinessHours()
    first, last = start.astimezone(SEOUL), end.astimezone(SEOUL)
    total = timedelta(0)
    day = first.date()
    while day <= last.date():
        if hours.is_business_day(day):
            opens, closes = _window(hours, day)
            overlap = min(closes, last) - max(opens, first)
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total
