"""The business calendar as configured: weekly hours, public holidays and the company's own days off.

The weekly hours (opening, closing, which weekdays) are a run-time setting (``runtime_settings``
key ``calendar.weekly_hours``); without one they are ``BusinessHours``' defaults, weekdays
09:00–18:00.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, time
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.calendar.hours import BusinessHours
from gogaek.calendar.models import CompanyDayOff
from gogaek.db import commit_unique
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.reference_cache import cached
from gogaek.runtime_settings.queries import stored_settings
from gogaek.runtime_settings.service import save_settings
from gogaek.web.i18n import N_

WEEKLY_HOURS_KEY = "calendar.weekly_hours"
SETTINGS_GROUP = "calendar.hours"
log = logging.getLogger(__name__)


WEEKDAY_NAMES = "월화수목금토일"


def weekly_text(hours: BusinessHours) -> str:
    """e.g. "월화수목금 09:00–18:00"."""
    days = "".join(WEEKDAY_NAMES[index] for index in sorted(hours.weekdays))
    return f"{days} {hours.opens:%H:%M}–{hours.closes:%H:%M}"


def weekly_hours(stored: Any) -> BusinessHours | None:
    """The stored ``{"opens": "HH:MM", "closes": "HH:MM", "weekdays": [0..6]}``, or None if unusable."""
    try:
        opens, closes = time.fromisoformat(stored["opens"]), time.fromisoformat(stored["closes"])
        weekdays = frozenset(int(day) for day in stored["weekdays"])
    except (TypeError, KeyError, ValueError):
        return None
    if not opens < closes or not weekdays or not weekdays <= set(range(7)):
        return None
    return BusinessHours(opens=opens, closes=closes, weekdays=weekdays)


async def _read_business_hours(session: AsyncSession) -> BusinessHours:
    days = (await session.scalars(select(CompanyDayOff.day))).all()
    stored = (await stored_settings(session)).get(WEEKLY_HOURS_KEY)
    weekly = weekly_hours(stored) if stored is not None else None
    if stored is not None and weekly is None:
        log.warning("ignoring unusable %s setting %r; using the default hours", WEEKLY_HOURS_KEY, stored)
    return replace(weekly or BusinessHours(), days_off=frozenset(days))


async def set_weekly_hours(
    session: AsyncSession,
    actor: StaffUser,
    hours: BusinessHours | None,
    request: Request | None = None,
) -> bool:
    """Stores the weekly hours (``None``: back to the defaults); audited as ``calendar.hours.update``.

    Returns whether anything changed."""
    value = None
    if hours is not None:
        value = {
            "opens": hours.opens.strftime("%H:%M"),
            "closes": hours.closes.strftime("%H:%M"),
            "weekdays": sorted(hours.weekdays),
        }
    return bool(await save_settings(session, actor, SETTINGS_GROUP, {WEEKLY_HOURS_KEY: value}, request=request))


async def load_business_hours(session: AsyncSession) -> BusinessHours:
    return await cached(session, "business_hours", lambda: _read_business_hours(session))


async def list_days_off(session: AsyncSession) -> list[CompanyDayOff]:
    return list((await session.scalars(select(CompanyDayOff).order_by(CompanyDayOff.day))).all())


def _day_taken() -> ProblemError:
    return ProblemError(409, "day_off_exists", N_("이미 등록된 휴무일입니다."))


async def add_day_off(
    session: AsyncSession, day: date, name: str, actor: StaffUser | None = None, request: Request | None = None
) -> CompanyDayOff:
    """With ``actor`` (the API and the pages) the audit entry is part of the same transaction."""
    if await session.scalar(select(CompanyDayOff).where(CompanyDayOff.day == day)) is not None:
        raise _day_taken()
    entry = CompanyDayOff(day=day, name=name.strip() or "회사 휴무일")
    session.add(entry)
    if actor is not None:
        detail = {"name": name.strip()}
        record_audit(
            session,
            actor,
            "calendar.day_off_add",
            target_type="day_off",
            target_id=day.isoformat(),
            detail=detail,
            request=request,
        )
    await commit_unique(session, _day_taken)
    return entry


async def remove_day_off(
    session: AsyncSession, day: date, actor: StaffUser | None = None, request: Request | None = None
) -> None:
    entry = await session.scalar(select(CompanyDayOff).where(CompanyDayOff.day == day))
    if entry is None:
        raise not_found("휴무일")
    if actor is not None:
        target = day.isoformat()
        record_audit(
            session, actor, "calendar.day_off_remove", target_type="day_off", target_id=target, request=request
        )
    await session.delete(entry)
    await session.commit()
