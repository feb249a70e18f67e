"""A job handler that hangs holds one slot of the worker until its timeout, not the whole worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.jobs.handlers import JobContext
from gogaek.jobs.queue import enqueue
from gogaek.jobs.runtime import start_job_worker

HANG, QUICK = "reliability.hang", "reliability.quick"
WAIT_SECONDS = 30.0  # far below the hung job's timeout (80 % of the five-minute lease)


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def add_job(sessions: async_sessionmaker[AsyncSession], kind: str) -> None:
    async with sessions() as session:
        await enqueue(session, kind, {})
        await session.commit()


async def test_a_hung_job_does_not_hold_back_jobs_enqueued_after_it(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    hung, quick_done = asyncio.Event(), asyncio.Event()

    async def hang(_ctx: JobContext, _payload: dict[str, Any]) -> None:
        hung.set()
        await asyncio.Event().wait()  # never set: only the job timeout or a shutdown ends it

    async def quick(_ctx: JobContext, _payload: dict[str, Any]) -> None:
        quick_done.set()

    polling = settings.model_copy(update={"jobs_enabled": True, "jobs_poll_seconds": 0.05})
    await add_job(sessions, HANG)
    runtime = await start_job_worker(sessions, polling, extra_handlers={HANG: hang, QUICK: quick})
    try:
        await asyncio.wait_for(hung.wait(), WAIT_SECONDS)
        await add_job(sessions, QUICK)
        await asyncio.wait_for(quick_done.wait(), WAIT_SECONDS)
    finally:
        await runtime.stop(grace_seconds=0.1)
    assert not runtime.running
