"""The arithmetic behind the report numbers: percentiles and business time for many rows at once.

``business_time_between`` (gogaek.calendar) walks day by day, which is right but too slow for
100,000 inquiries. :class:`BusinessClock` lays the business windows of a date range out once
and answers "business seconds since the start of the range" with a binary search, so a
duration is the difference of two lookups. It agrees with ``business_time_between``
(tests/unit/test_report_stats.py checks it on random moments).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from gogaek.calendar.hours import SEOUL, BusinessHours

FloatArray = npt.NDArray[np.float64]


def percentile(values: Sequence[float], share: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's ``percentile_cont``)."""
    if not values:
        return None
    if not 0.0 <= share <= 1.0:
        raise ValueError("share must be between 0 and 1")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class BusinessClock:
    """Business seconds between epoch moments inside ``[first_day, last_day]`` (Seoul dates).

    Moments before the first day count as its start and after the last day as its end, so
    callers pass a range that covers every moment they ask about.
    """

    def __init__(self, hours: BusinessHours, first_day: date, last_day: date) -> None:
        if hours.opens >= hours.closes:
            raise ValueError("business hours must open before they close")
        self._opens: list[float] = []
        self._closes: list[float] = []
        self._before: list[float] = []  # business seconds in all earlier windows
        total = 0.0
        day = first_day
        while day <= last_day:
            if hours.is_business_day(day):
                opens = datetime.combine(day, hours.opens, tzinfo=SEOUL).timestamp()
                closes = datetime.combine(day, hours.closes, tzinfo=SEOUL).timestamp()
                self._opens.append(opens)
                self._closes.append(closes)
                self._before.append(total)
                total += closes - opens
            day += timedelta(days=1)
        self._total = total

    def elapsed(self, moment: float) -> float:
        """Business seconds from the start of the range up to ``moment`` (epoch seconds)."""
        index = bisect_right(self._opens, moment) - 1
        if index < 0:
            return 0.0
        return self._before[index] + min(moment, self._closes[index]) - self._opens[index]

    def elapsed_many(self, moments: FloatArray) -> FloatArray:
        """:meth:`elapsed` for an array of moments at once (NaN stays NaN)."""
        if not self._opens:
            return np.where(np.isnan(moments), np.nan, 0.0)
        opens, closes, before = np.array(self._opens), np.array(self._closes), np.array(self._before)
        index = np.searchsorted(opens, moments, side="right") - 1
        safe = np.clip(index, 0, None)
        elapsed = before[safe] + np.minimum(moments, closes[safe]) - opens[safe]
        result: FloatArray = np.where(index < 0, 0.0, elapsed)
        return np.where(np.isnan(moments), np.nan, result)

    def between_many(self, starts: FloatArray, ends: FloatArray) -> FloatArray:
        return self.elapsed_many(ends) - self.elapsed_many(starts)

    def between(self, start: float, end: float) -> float:
        """Business seconds from ``start`` to ``end`` (negative when ``end`` comes first)."""
        return self.elapsed(end) - self.elapsed(start)


def percentile_of(values: FloatArray, share: float) -> float | None:
    """:func:`percentile` of an array (numpy's "linear" method is the same interpolation)."""
    if values.size == 0:
        return None
    return float(np.percentile(values, share * 100.0))


def seoul_week_numbers(moments: FloatArray) -> FloatArray:
    """For each epoch moment, the day number (since 1970-01-01) of the Monday of its Seoul week."""
    days = np.floor((moments + 9 * 3600) / 86400)
    monday: FloatArray = days - np.mod(days + 3, 7)  # 1970-01-01 was a Thursday (weekday 3)
    return monday


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def seoul_day(moment: float) -> date:
    return datetime.fromtimestamp(moment, SEOUL).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: report trends are weekly."""
    return day - timedelta(days=day.weekday())
