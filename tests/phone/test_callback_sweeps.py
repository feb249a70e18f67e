"""The overdue sweep on both backends: a callback nobody started in time is flagged once, with its
timeline entry and event, even when two workers sweep at the same moment."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.background import periodic_tasks
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.inquiries.models import InquiryEvent
from gogaek.phone.models import CallbackKind, CallbackStatus
from gogaek.phone.sweeps import flag_overdue_callbacks
from tests.phone.factories import API, Desk, claim, desk, emitted, make_callback, post

__all__ = ["desk"]  # the shared fixture


async def test_waiting_callbacks_are_flagged_once_after_the_grace_time(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    now = utcnow()
    grace = timedelta(minutes=settings.callback_overdue_minutes)
    late = await make_callback(session, desk.customer, desk.category, slot_start=now - grace - timedelta(minutes=1))
    on_time = await make_callback(session, desk.customer, desk.category, slot_start=now - grace + timedelta(minutes=1))
    retry = await make_callback(
        session, desk.customer, desk.category, slot_start=now - timedelta(hours=2), status=CallbackStatus.RETRY
    )
    missed_call = await make_callback(session, desk.customer, desk.category, kind=CallbackKind.MISSED_CALL)
    missed_call.due_at = now - timedelta(hours=1)
    started = await make_callback(session, desk.customer, desk.category, slot_start=now - timedelta(hours=1))
    finished = await make_callback(
        session, desk.customer, desk.category, slot_start=now - timedelta(hours=1), status=CallbackStatus.COMPLETED
    )
    await session.commit()
    await claim(client, desk, started)

    assert await flag_overdue_callbacks(session, settings, now) == 3
    assert await flag_overdue_callbacks(session, settings, now + timedelta(seconds=30)) == 0
    for callback in (late, on_time, retry, missed_call, started, finished):
        await session.refresh(callback)
    assert [c.overdue_flagged_at == now for c in (late, retry, missed_call)] == [True, True, True]
    assert [c.overdue_flagged_at for c in (on_time, started, finished)] == [None, None, None]
    flagged = await emitted(session, events.CALLBACK_OVERDUE)
    assert {data["callback_id"] for data in flagged} == {late.id, retry.id, missed_call.id} and len(flagged) == 3
    kinds = await session.scalars(select(InquiryEvent.inquiry_id).where(InquiryEvent.kind == "callback_overdue"))
    assert list(kinds) == [callback.inquiry_id for callback in (retry, missed_call, late)]  # in due order

    board = (await client.get(API, headers=desk.headers)).json()["items"]
    assert [item["id"] for item in board if item["group"] == "overdue"] == [retry.id, missed_call.id, late.id]
    assert await flag_overdue_callbacks(session, settings, now + grace + timedelta(minutes=2)) == 1  # on_time now


async def test_two_workers_sweeping_at_once_flag_each_callback_once(
    app: FastAPI, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    now = utcnow()
    for _ in range(4):
        await make_callback(session, desk.customer, desk.category, slot_start=now - timedelta(hours=1))

    async def sweep() -> int:
        async with app.state.sessionmaker() as own:
            return await flag_overdue_callbacks(own, settings, now)

    assert sum(await asyncio.gather(sweep(), sweep(), sweep())) == 4
    assert len(await emitted(session, events.CALLBACK_OVERDUE)) == 4


async def test_a_retry_after_no_answer_can_be_flagged_again(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, desk: Desk
) -> None:
    now = utcnow()
    callback = await make_callback(session, desk.customer, desk.category, slot_start=now - timedelta(hours=1))
    assert await flag_overdue_callbacks(session, settings, now) == 1
    await claim(client, desk, callback)
    response = await post(client, f"{callback.id}/outcome", desk.headers, {"outcome": "no_answer"})
    assert response.status_code == 200 and response.json()["overdue"] is False
    await session.refresh(callback)
    assert callback.overdue_flagged_at is None
    later = callback.due_at + timedelta(minutes=settings.callback_overdue_minutes + 1)
    assert await flag_overdue_callbacks(session, settings, later) == 1


def test_the_sweep_runs_in_the_job_worker() -> None:
    assert "callback-overdue-sweep" in [task.name for task in periodic_tasks(Settings())]
