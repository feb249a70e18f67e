"""The business calendar as configured: public holidays plus the company's own days off."""

from __future__ import annotations

from datetime import date

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


async def _read_business_hours(session: AsyncSession) -> BusinessHours:
    days = (await session.scalars(select(CompanyDayOff.day))).all()
    return BusinessHours(days_off=frozenset(days))


async def load_business_hours(session: AsyncSession) -> BusinessHours:
    return await cached(session, "business_hours", lambda: _read_business_hours(session))


async def list_days_off(session: AsyncSession) -> list[CompanyDayOff]:
    return list((await session.scalars(select(CompanyDayOff).order_by(CompanyDayOff.day))).all())


def _day_taken() -> ProblemError:
    return ProblemError(409, "day_off_exists", "이미 등록된 휴무일입니다. (Day off already exists)")


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
