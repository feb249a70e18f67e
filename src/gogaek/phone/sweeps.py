"""Periodic work for phone callbacks: callbacks nobody started in time are flagged (기한 초과), once.

Retries need no sweep: a ``retry`` callback is simply due on the board once its ``due_at`` has
passed. The flag is a conditional UPDATE on ``overdue_flagged_at IS NULL``, so several worker
processes sweeping at once still flag a callback, write its timeline entry and emit
``callback.overdue`` exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek import events
from gogaek.config import Settings
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.service import add_timeline_event
from gogaek.inquiries.workflow import Actor
from gogaek.jobs.worker import PeriodicTask
from gogaek.phone.event_data import callback_event_data
from gogaek.phone.models import Callback, CallbackStatus

OVERDUE_SWEEP_SECONDS = 60.0
SWEEP_BATCH = 500
WAITING = (CallbackStatus.BOOKED.value, CallbackStatus.RETRY.value)


async def flag_overdue_callbacks(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Flags callbacks still waiting ``callback_overdue_minutes`` after they were due (their slot's
    start, the retry time, or the missed call); returns how many this call flagged."""
    cutoff = now - timedelta(minutes=settings.callback_overdue_minutes)
    rows = (
        await session.execute(
            select(Callback, Inquiry)
            .outerjoin(Inquiry, Inquiry.id == Callback.inquiry_id)
            .where(Callback.status.in_(WAITING), Callback.overdue_flagged_at.is_(None), Callback.due_at <= cutoff)
            .order_by(Callback.due_at, Callback.id)
            .limit(SWEEP_BATCH)
        )
    ).all()
    flagged = 0
    for callback, inquiry in rows:
        result = await session.execute(
            update(Callback)
            .where(Callback.id == callback.id, Callback.overdue_flagged_at.is_(None), Callback.status.in_(WAITING))
            .values(overdue_flagged_at=now)
            .execution_options(synchronize_session=False)
        )
        if not cast(CursorResult[Any], result).rowcount:
            continue  # another process flagged it, or an agent claimed it meanwhile
        callback.overdue_flagged_at = now
        flagged += 1
        if inquiry is not None:
            add_timeline_event(
                session,
                inquiry,
                "callback_overdue",
                Actor.SYSTEM,
                {"callback_id": callback.id, "number": callback.number},
            )
        await events.emit(
            session,
            events.CALLBACK_OVERDUE,
            callback_event_data(callback, due_at=callback.due_at.isoformat(), flagged_at=now.isoformat()),
        )
    await session.commit()
    return flagged


async def _sweep_overdue(factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    async with factory() as session:
        return await flag_overdue_callbacks(session, settings, now)


def periodic_tasks() -> list[PeriodicTask]:
    return [PeriodicTask("callback-overdue-sweep", OVERDUE_SWEEP_SECONDS, _sweep_overdue)]
