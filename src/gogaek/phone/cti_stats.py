"""The phone queue as the phone system's events show it: who is waiting, how fast calls are answered.

The contact page shows the estimate; ``GET /api/v1/phone/wait`` serves it to anyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.phone.models import CallLog

WINDOW = timedelta(minutes=30)  # older ringing calls are PBX events that never ended, not callers


@dataclass(frozen=True, slots=True)
class PhoneQueueStats:
    waiting: int  # inbound calls ringing now
    average_answer_seconds: int | None  # newCall → answer over the window; None when nothing was answered
    estimated_wait_seconds: int | None  # None when the phone system sent nothing in the window


async def phone_queue_stats(session: AsyncSession, now: datetime) -> PhoneQueueStats:
    """A caller waits about as long as callers were answered in lately, and at least as long as the
    longest wait going on now (a queue that suddenly stalls shows at once, not after 30 minutes)."""
    since = now - WINDOW
    inbound = CallLog.direction == "in"
    ringing = (
        await session.scalars(
            select(CallLog.started_at).where(inbound, CallLog.state == "ringing", CallLog.started_at >= since)
        )
    ).all()
    answered = (
        await session.execute(
            select(CallLog.started_at, CallLog.answered_at).where(inbound, CallLog.answered_at >= since)
        )
    ).all()
    recent = await session.scalar(select(CallLog.id).where(inbound, CallLog.started_at >= since).limit(1))
    waits = [
        max(0.0, (answered_at - started_at).total_seconds()) for started_at, answered_at in answered if answered_at
    ]
    average = math.ceil(sum(waits) / len(waits)) if waits else None
    if recent is None and not waits:
        return PhoneQueueStats(waiting=0, average_answer_seconds=None, estimated_wait_seconds=None)
    longest = max((max(0.0, (now - started).total_seconds()) for started in ringing), default=0.0)
    return PhoneQueueStats(
        waiting=len(ringing),
        average_answer_seconds=average,
        estimated_wait_seconds=math.ceil(max(float(average or 0), longest)),
    )
