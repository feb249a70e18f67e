"""Two worker PROCESSES share one PostgreSQL queue: every job runs exactly once, and both work.

The workers start first and report "ready"; only then are 200 jobs committed, so both
compete for them (SKIP LOCKED hands each worker its own rows). Each run inserts a row naming
its worker, so a job run twice would show up as two rows.
"""

from __future__ import annotations

import asyncio
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import func, text
from sqlalchemy import select as sql_select

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.queue import enqueue
from tests.conftest import settings_environment

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

JOBS = 200
RUNS_TABLE = "job_runs_test"  # also spelled out in WORKER_SCRIPT
STARTUP_SECONDS = 60.0
FINISH_SECONDS = 120.0

WORKER_SCRIPT = """
import asyncio, signal, sys
from sqlalchemy import text
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.jobs.worker import JobWorker

NAME = sys.argv[1]

async def record(ctx, payload):
    async with ctx.sessionmaker() as session:
        await session.execute(
            text("INSERT INTO job_runs_test (job_id, worker) VALUES (:job_id, :worker)"),
            {"job_id": ctx.job_id, "worker": NAME},
        )
        await session.commit()
    await asyncio.sleep(0.01)  # some work, so batches of the two workers overlap

async def main():
    settings = Settings()
    engine = create_engine(settings)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    worker = JobWorker(create_sessionmaker(engine), settings, {"test.record": record}, NAME)
    print("ready", flush=True)
    await worker.run_forever(stop)
    await engine.dispose()

asyncio.run(main())
"""


async def _execute(settings: Settings, statement: str) -> None:
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def _enqueue_jobs(settings: Settings) -> None:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        for n in range(JOBS):
            await enqueue(session, "test.record", {"n": n})
        await session.commit()
    await engine.dispose()


async def _done_count(settings: Settings) -> int:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        done = await session.scalar(sql_select(func.count()).select_from(Job).where(Job.status == JobStatus.DONE.value))
    await engine.dispose()
    return int(done or 0)


async def _runs(settings: Settings) -> tuple[list[tuple[int, int]], dict[str, int], set[int]]:
    """(job id, runs) for jobs run more than once; runs per worker; attempts seen across jobs."""
    engine = create_engine(settings)
    async with engine.connect() as connection:
        twice = (
            await connection.execute(
                text(f"SELECT job_id, count(*) FROM {RUNS_TABLE} GROUP BY job_id HAVING count(*) > 1")  # noqa: S608
            )
        ).all()
        per_worker = (
            await connection.execute(text(f"SELECT worker, count(*) FROM {RUNS_TABLE} GROUP BY worker"))  # noqa: S608
        ).all()
        attempts = (await connection.execute(sql_select(Job.attempts).distinct())).scalars().all()
    await engine.dispose()
    return [(row[0], row[1]) for row in twice], {row[0]: row[1] for row in per_worker}, set(attempts)


@contextmanager
def worker_process(settings: Settings, name: str) -> Iterator[subprocess.Popen[str]]:
    env = {**settings_environment(settings), "GOGAEK_JOBS_BATCH_SIZE": "5", "GOGAEK_JOBS_POLL_SECONDS": "0.05"}
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def wait_until_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None and process.stderr is not None
    readable, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
    line = process.stdout.readline() if readable else ""
    assert line.strip() == "ready", process.stderr.read() if process.poll() is not None else "worker never got ready"


def stop_gracefully(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stderr is not None
    errors = process.stderr.read()
    assert "Traceback" not in errors, errors


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_two_worker_processes_run_every_job_exactly_once(settings: Settings) -> None:
    asyncio.run(_execute(settings, f"DROP TABLE IF EXISTS {RUNS_TABLE}"))
    asyncio.run(_execute(settings, f"CREATE TABLE {RUNS_TABLE} (id serial PRIMARY KEY, job_id int, worker text)"))
    try:
        with ExitStack() as stack:
            workers = [stack.enter_context(worker_process(settings, f"worker-{n}")) for n in (1, 2)]
            for process in workers:
                wait_until_ready(process)
            asyncio.run(_enqueue_jobs(settings))
            deadline = time.monotonic() + FINISH_SECONDS
            while asyncio.run(_done_count(settings)) < JOBS:
                assert time.monotonic() < deadline, "the workers did not finish the jobs"
                assert all(process.poll() is None for process in workers), "a worker process died"
                time.sleep(0.2)
            for process in workers:
                stop_gracefully(process)

        twice, per_worker, attempts = asyncio.run(_runs(settings))
        assert twice == []
        assert sum(per_worker.values()) == JOBS
        assert set(per_worker) == {"worker-1", "worker-2"}, per_worker  # both did some of the work
        assert attempts == {1}  # no job needed a second claim
    finally:
        asyncio.run(_execute(settings, f"DROP TABLE IF EXISTS {RUNS_TABLE}"))
