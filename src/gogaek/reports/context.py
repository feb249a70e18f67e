"""What every chart builder shares: the filters, the moment, names, the calendar, memoised reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.calendar.service import load_business_hours, weekly_text
from gogaek.helpcenter.models import Category
from gogaek.identity.models import StaffUser, Team
from gogaek.inquiries.models import Priority
from gogaek.inquiries.sla import SlaTargets, targets_for
from gogaek.reports.schemas import ReportFilters
from gogaek.reports.stats import BusinessClock
from gogaek.web.i18n import DEFAULT_LANGUAGE, current_language
from gogaek.web.i18n import gettext as _


@dataclass
class ReportContext:
    session: AsyncSession
    filters: ReportFilters
    now: datetime
    _memo: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.astimezone(SEOUL).date()

    async def once(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """Reads shared by several charts (durations, names) run once per request."""
        if key not in self._memo:
            self._memo[key] = await load()
        return self._memo[key]

    async def hours(self) -> BusinessHours:
        """The configured weekly hours and days off (관리자 → 영업시간), as the SLA clocks use them."""
        hours: BusinessHours = await self.once("hours", lambda: load_business_hours(self.session))
        return hours

    async def clock(self) -> BusinessClock:
        """Business hours from the first day of the range up to tomorrow (answers come after filing)."""

        async def build() -> BusinessClock:
            hours = await self.hours()
            last = max(self.filters.end, self.today) + timedelta(days=1)
            return BusinessClock(hours, self.filters.start - timedelta(days=1), last)

        clock: BusinessClock = await self.once("clock", build)
        return clock

    async def targets(self) -> SlaTargets:
        """The SLA of the view: the chosen category's policy (or the default) at normal priority."""
        category = self.filters.category_id if self.filters.category_id is not None else 0
        targets: SlaTargets = await self.once(
            "targets", lambda: targets_for(self.session, category, Priority.NORMAL.value)
        )
        return targets

    async def names(self, model: type[Category] | type[Team]) -> dict[int, str]:
        async def load() -> dict[int, str]:
            rows = (await self.session.execute(select(model.id, model.name))).all()
            return {int(row_id): str(name) for row_id, name in rows}

        names: dict[int, str] = await self.once(f"names:{model.__name__}", load)
        return names

    async def staff_names(self) -> dict[int, str]:
        async def load() -> dict[int, str]:
            rows = (await self.session.execute(select(StaffUser.id, StaffUser.display_name))).all()
            return {int(row_id): str(name) for row_id, name in rows}

        names: dict[int, str] = await self.once("names:staff", load)
        return names


def day_label(day: date) -> str:
    return f"{day.month}/{day.day}"


def week_label(day: date) -> str:
    return _("%(date)s주") % {"date": f"{day.month}/{day.day}"}


def count_unit() -> str:
    """건 after a count on a Korean page; an English page shows the bare number."""
    return "건" if current_language() == DEFAULT_LANGUAGE else ""


WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours_text(hours: BusinessHours) -> str:
    """The weekly hours as ``weekly_text`` says them (월화수목금 09:00–18:00), or in English."""
    if current_language() == DEFAULT_LANGUAGE:
        return weekly_text(hours)
    days = " ".join(WEEKDAYS_EN[index] for index in sorted(hours.weekdays))
    return f"{days} {hours.opens:%H:%M}–{hours.closes:%H:%M}"


def weeks_of(filters: ReportFilters) -> list[date]:
    """The Mondays of the weeks the range touches, in order."""
    first = filters.start - timedelta(days=filters.start.weekday())
    weeks = []
    while first <= filters.end:
        weeks.append(first)
        first += timedelta(days=7)
    return weeks


def share(part: int | float, whole: int | float) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None
