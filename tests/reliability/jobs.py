"""SIGKILL of a job worker process while it runs jobs: every job is done in the end, none is lost.

Jobs are at least once by design (docs/jobs.md): a job cut by the kill runs again after its
lease expires, so its handler may finish twice; those re-runs are counted in ``duplicated`` and
must stay within the jobs the worker held when it was killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from functools import partial

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.queue import enqueue
from tests.conftest import settings_environment
from tests.reliability.job_worker import KIND, RUNS_TABLE
from tests.reliability.scenarios import Tally, poll_until

LEASE_SECONDS = 2.0
BATCH_SIZE = 5
FINISH_SECONDS = 120.0
SECONDS_PER_KILL = 10.0  # a worker start-up (imports) and the lease of the jobs it held


class WorkerProcess:
    """One dedicated worker process, killed and started again by the scenario."""

    def __init__(self, settings: Settings) -> None:
        self.env = {
            **settings_environment(settings),
            "GOGAEK_JOBS_BATCH_SIZE": str(BATCH_SIZE),
            "GOGAEK_JOBS_POLL_SECONDS": "0.05",
        }
        self.log_path = settings.data_dir / "job-worker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0

    def start(self) -> None:
        self.generation += 1
        name = f"worker-{self.generation}"
        command = [sys.executable, "-m", "tests.reliability.job_worker", name, str(LEASE_SECONDS)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


async def _prepare(settings: Settings, jobs: int) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE {RUNS_TABLE} (job_id integer, attempt integer)"))
        async with create_sessionmaker(engine)() as session:
            for number in range(jobs):
                await enqueue(session, KIND, {"n": number})
            await session.commit()
    finally:
        await engine.dispose()


async def _progress(engine: AsyncEngine) -> tuple[int, int, int]:
    """(jobs done, jobs parked, handler runs beyond the first) of the scenario's kind."""
    async with create_sessionmaker(engine)() as session:
        ours = select(func.count()).where(Job.kind == KIND)
        done = await session.scalar(ours.where(Job.status == JobStatus.DONE.value))
        parked = await session.scalar(ours.where(Job.status == JobStatus.PARKED.value))
        runs = await session.scalar(text(f"SELECT count(*) - count(DISTINCT job_id) FROM {RUNS_TABLE}"))  # noqa: S608
    return int(done or 0), int(parked or 0), int(runs or 0)


async def _finished(engine: AsyncEngine, count: int, *, done_only: bool) -> bool:
    done, parked, _ = await _progress(engine)
    return (done if done_only else done + parked) >= count


async def _kill_at_progress(engine: AsyncEngine, worker: WorkerProcess, jobs: int, kills: int, tally: Tally) -> None:
    for number in range(1, kills + 1):
        await poll_until(partial(_finished, engine, number * jobs // (kills + 1), done_only=True), 0.1)
        worker.kill()
        tally.injected += 1
        worker.start()
    await poll_until(partial(_finished, engine, jobs, done_only=False), 0.2)


async def jobs_under_kills(settings: Settings, *, jobs: int, kills: int) -> Tally:
    """Kills the worker each time another ``jobs / (kills + 1)`` are done, restarts it, waits for the rest;
    jobs still not done after the bounded wait are counted as lost."""
    tally = Tally("SIGKILL of a job worker during job processing")
    await _prepare(settings, jobs)
    engine = create_engine(settings)
    worker = WorkerProcess(settings)
    worker.start()
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FINISH_SECONDS + kills * SECONDS_PER_KILL):
                await _kill_at_progress(engine, worker, jobs, kills, tally)
        done, parked, reruns = await _progress(engine)
    finally:
        worker.stop()
        await engine.dispose()
    tally.attempts = jobs
    tally.acknowledged = jobs  # every job was committed to the queue before the worker started
    tally.lost = jobs - done - parked
    tally.server_errors = parked
    tally.duplicated = reruns
    return tally
