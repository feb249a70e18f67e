"""A dedicated job worker process for the kill scenario: ``python -m tests.reliability.job_worker NAME LEASE``.

Its handler records every run it finishes in ``reliability_job_runs``, so a run repeated after a
kill shows up as a second row. The short lease lets a killed worker's jobs be taken over in
seconds instead of the production five minutes.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.jobs.handlers import JobContext
from gogaek.jobs.worker import JobWorker

KIND = "reliability.record"
RUNS_TABLE = "reliability_job_runs"
WORK_SECONDS = 0.05


async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
    await asyncio.sleep(WORK_SECONDS)  # some work, so kills land while jobs are running
    async with ctx.sessionmaker() as session:
        statement = text(f"INSERT INTO {RUNS_TABLE} (job_id, attempt) VALUES (:job_id, :attempt)")  # noqa: S608
        await session.execute(statement, {"job_id": ctx.job_id, "attempt": ctx.attempt})
        await session.commit()


async def main(name: str, lease_seconds: float) -> None:
    settings = Settings()
    engine = create_engine(settings)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    worker = JobWorker(
        create_sessionmaker(engine), settings, {KIND: record}, name, lease=timedelta(seconds=lease_seconds)
    )
    await worker.run_forever(stop)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
