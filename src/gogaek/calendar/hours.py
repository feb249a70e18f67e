"""Whether the customer center is open: weekday hours in Seoul, minus Korean public holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SEOUL = ZoneInfo("Asia/Seoul")


@lru_cache(maxsize=16)
def korean_holidays(year: int) -> dict[date, str]:
    """Public holidays for one year, lunar and substitute days included, named in Korean."""
    return dict(holidays.country_holidays("KR", years=year, language="ko").items())


@dataclass(frozen=True, slots=True)
class BusinessHours:
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    days_off: frozenset[date] = frozenset()  # company days off added by admins

    def holiday_name(self, day: date) -> str | None:
        if day in self.days_off:
            return "회사 휴무일"
        return korean_holidays(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and self.holiday_name(day) is None

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(SEOUL)
        return self.is_business_day(local.date()) and self.opens <= local.time() < self.closes
