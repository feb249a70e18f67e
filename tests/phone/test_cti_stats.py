"""The phone queue from the phone system's events: calls waiting, answer time, the estimated wait."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.phone.cti_stats import PhoneQueueStats, phone_queue_stats
from gogaek.phone.models import CallLog

NOW = datetime.fromisoformat("2026-12-07T02:00:00+00:00")  # 11:00 in Seoul, a Monday


def _call(
    call_id: str,
    started_ago: float,
    *,
    answered_after: float | None = None,
    ended: bool = False,
    direction: str = "in",
    now: datetime = NOW,
) -> CallLog:
    started = now - timedelta(seconds=started_ago)
    answered = started + timedelta(seconds=answered_after) if answered_after is not None else None
    state = "ended" if ended else "answered" if answered else "ringing"
    return CallLog(
        call_id=call_id,
        direction=direction,
        started_at=started,
        answered_at=answered,
        ended_at=now if ended else None,
        state=state,
    )


async def test_no_phone_events_lately_means_no_estimate(session: AsyncSession) -> None:
    session.add_all([_call("old", 3600, answered_after=20, ended=True), _call("stuck", 3 * 3600)])
    await session.commit()
    assert await phone_queue_stats(session, NOW) == PhoneQueueStats(0, None, None)


async def test_waiting_calls_and_answer_time_over_the_last_half_hour(session: AsyncSession) -> None:
    session.add_all(
        [
            _call("a", 600, answered_after=30, ended=True),
            _call("b", 300, answered_after=60),
            _call("c", 1500, answered_after=1, ended=True),  # answered 25 min ago: counted
            _call("d", 3600, answered_after=10, ended=True),  # answered an hour ago: not
            _call("missed", 400, ended=True),  # never answered: no answer time
            _call("ringing-1", 45),
            _call("ringing-2", 20),
            _call("abandoned-ringing", 2 * 3600),  # a PBX that never sent hangup: not a caller
            _call("out", 50, direction="out"),
            _call("out-answered", 200, answered_after=500, direction="out"),
        ]
    )
    await session.commit()
    stats = await phone_queue_stats(session, NOW)
    assert stats == PhoneQueueStats(waiting=2, average_answer_seconds=31, estimated_wait_seconds=45)


async def test_a_stalled_queue_shows_at_once(session: AsyncSession) -> None:
    """Answers were quick, but someone has been ringing for five minutes: the estimate says so."""
    session.add_all([_call("quick", 900, answered_after=10, ended=True), _call("long-wait", 300)])
    await session.commit()
    assert await phone_queue_stats(session, NOW) == PhoneQueueStats(1, 10, 300)


async def test_only_quiet_lines_estimate_no_wait(session: AsyncSession) -> None:
    session.add(_call("quiet", 120, ended=True))
    await session.commit()
    assert await phone_queue_stats(session, NOW) == PhoneQueueStats(0, None, 0)


async def test_the_public_wait_endpoint(client: httpx.AsyncClient, session: AsyncSession) -> None:
    empty = await client.get("/api/v1/phone/wait")
    assert empty.status_code == 200
    assert empty.json() == {"waiting": 0, "average_answer_seconds": None, "estimated_wait_seconds": None}
    now = utcnow()
    session.add_all([_call("w-1", 600, answered_after=40, ended=True, now=now), _call("w-2", 0, now=now)])
    await session.commit()
    body = (await client.get("/api/v1/phone/wait")).json()
    assert (body["waiting"], body["average_answer_seconds"]) == (1, 40)
    assert body["estimated_wait_seconds"] >= 40
