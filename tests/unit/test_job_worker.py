"""The job worker on a real database (SQLite and PostgreSQL): restarts, retries, leases, parking.

Time is moved by passing ``now`` to ``run_once``, so backoff and lease expiry are tested
without waiting for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.jobs.handlers import (
    NOTIFY_EMAIL,
    NOTIFY_SMS,
    WEBHOOK_DELIVER,
    Handler,
    InTransaction,
    JobContext,
    PermanentJobError,
    build_handlers,
)
from gogaek.jobs.models import Job, JobStatus
from gogaek.jobs.queue import enqueue
from gogaek.jobs.runtime import start_job_worker
from gogaek.jobs.worker import WORKER_LOST, JobWorker, PeriodicTask

Sessions = async_sessionmaker[AsyncSession]
KIND = "test.record"


@dataclass
class Recorder:
    """A handler that remembers every run, optionally failing first or blocking until released."""

    fail_times: int = 0
    error: Exception = field(default_factory=lambda: RuntimeError("수신 서버 응답 없음 (receiver down)"))
    block: bool = False
    runs: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.runs.append((ctx.job_id, ctx.attempt, payload))
        self.started.set()
        if self.block:
            await self.release.wait()
        if len(self.runs) <= self.fail_times:
            raise self.error


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[Sessions]:
    engine = create_engine(settings)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def add_job(sessions: Sessions, payload: dict[str, Any] | None = None, kind: str = KIND, **options: Any) -> int:
    async with sessions() as session:
        job = await enqueue(session, kind, payload or {}, **options)
        assert job is not None
        await session.commit()
        return job.id


async def load(sessions: Sessions, job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


def make_worker(
    sessions: Sessions, settings: Settings, handler: Handler, worker_id: str = "worker-a", **options: Any
) -> JobWorker:
    return JobWorker(sessions, settings, {KIND: handler}, worker_id, **options)


async def start_blocked(worker: JobWorker, recorder: Recorder) -> asyncio.Task[int]:
    task = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(recorder.started.wait(), 30)
    return task


async def crash(task: asyncio.Task[int]) -> None:
    """The worker process dies mid-job: nothing more is written for the job."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_job_enqueued_before_a_restart_runs_once_after_it(settings: Settings) -> None:
    engine = create_engine(settings)
    job_id = await add_job(create_sessionmaker(engine), {"inquiry_id": 7})
    await engine.dispose()  # the process stops; only the database remembers the job

    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    recorder = Recorder()
    worker = make_worker(sessions, settings, recorder)
    try:
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0
        job = await load(sessions, job_id)
    finally:
        await engine.dispose()
    assert recorder.runs == [(job_id, 1, {"inquiry_id": 7})]
    assert (job.status, job.attempts, job.locked_by, job.locked_until) == (JobStatus.DONE.value, 1, None, None)
    assert job.finished_at is not None
    assert job.last_error is None


async def test_failures_back_off_exponentially_then_park(sessions: Sessions, settings: Settings) -> None:
    recorder = Recorder(fail_times=99)
    worker = make_worker(sessions, settings, recorder)
    job_id = await add_job(sessions, max_attempts=3)
    t0 = utcnow()

    assert await worker.run_once(now=t0) == 1
    first = await load(sessions, job_id)
    assert (first.status, first.attempts) == (JobStatus.PENDING.value, 1)
    assert first.last_error is not None and "receiver down" in first.last_error
    assert timedelta(seconds=27) <= first.run_at - t0 <= timedelta(seconds=33)  # 30 s ±10 % jitter
    assert first.locked_by is None

    assert await worker.run_once(now=t0 + timedelta(seconds=20)) == 0  # not due yet
    assert await worker.run_once(now=first.run_at) == 1
    second = await load(sessions, job_id)
    assert (second.status, second.attempts) == (JobStatus.PENDING.value, 2)
    assert timedelta(seconds=54) <= second.run_at - first.run_at <= timedelta(seconds=66)  # doubled

    assert await worker.run_once(now=second.run_at) == 1
    parked = await load(sessions, job_id)
    assert (parked.status, parked.attempts) == (JobStatus.PARKED.value, 3)
    assert parked.finished_at is not None
    assert parked.last_error is not None and parked.last_error.startswith("RuntimeError:")
    assert await worker.run_once(now=t0 + timedelta(days=30)) == 0  # parked jobs wait for an admin
    assert [attempt for _, attempt, _ in recorder.runs] == [1, 2, 3]


async def test_a_retry_that_succeeds_clears_the_error(sessions: Sessions, settings: Settings) -> None:
    recorder = Recorder(fail_times=1)
    worker = make_worker(sessions, settings, recorder)
    job_id = await add_job(sessions)
    assert await worker.run_once() == 1
    retry_at = (await load(sessions, job_id)).run_at
    assert await worker.run_once(now=retry_at) == 1
    job = await load(sessions, job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DONE.value, 2, None)


async def test_permanent_error_parks_at_once(sessions: Sessions, settings: Settings) -> None:
    recorder = Recorder(fail_times=1, error=PermanentJobError("주소가 삭제되었습니다 (gone)"))
    worker = make_worker(sessions, settings, recorder)
    job_id = await add_job(sessions)
    assert await worker.run_once() == 1
    job = await load(sessions, job_id)
    assert (job.status, job.attempts, job.max_attempts) == (JobStatus.PARKED.value, 1, 8)
    assert job.last_error == "PermanentJobError: 주소가 삭제되었습니다 (gone)"


async def test_unknown_kind_is_parked_with_a_clear_error(sessions: Sessions, settings: Settings) -> None:
    worker = make_worker(sessions, settings, Recorder())
    job_id = await add_job(sessions, kind="nobody.handles.this")
    assert await worker.run_once() == 1
    job = await load(sessions, job_id)
    assert job.status == JobStatus.PARKED.value
    assert job.last_error is not None and "'nobody.handles.this'" in job.last_error


async def test_job_of_a_crashed_worker_is_taken_over_after_its_lease(sessions: Sessions, settings: Settings) -> None:
    stuck = Recorder(block=True)
    job_id = await add_job(sessions, {"n": 1})
    await crash(await start_blocked(make_worker(sessions, settings, stuck, "worker-a"), stuck))
    held = await load(sessions, job_id)
    assert (held.status, held.locked_by, held.attempts) == (JobStatus.RUNNING.value, "worker-a", 1)
    assert held.locked_until is not None

    healthy = Recorder()
    other = make_worker(sessions, settings, healthy, "worker-b")
    assert await other.run_once() == 0  # the lease still protects the job
    assert await other.run_once(now=held.locked_until + timedelta(seconds=1)) == 1
    job = await load(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.DONE.value, 2, None)
    assert healthy.runs == [(job_id, 2, {"n": 1})]


async def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_owner(
    sessions: Sessions, settings: Settings
) -> None:
    slow = Recorder(block=True)
    job_id = await add_job(sessions)
    slow_run = await start_blocked(make_worker(sessions, settings, slow, "worker-slow"), slow)
    lease_end = (await load(sessions, job_id)).locked_until
    assert lease_end is not None

    refusing = Recorder(fail_times=1, error=PermanentJobError("refused"))
    await make_worker(sessions, settings, refusing, "worker-b").run_once(now=lease_end + timedelta(seconds=1))
    slow.release.set()
    assert await slow_run == 1  # it finished "successfully", too late

    job = await load(sessions, job_id)
    assert (job.status, job.last_error, job.attempts) == (JobStatus.PARKED.value, "PermanentJobError: refused", 2)


async def test_a_job_whose_last_attempt_lost_its_worker_is_parked_not_rerun(
    sessions: Sessions, settings: Settings
) -> None:
    """A job that kills its worker every time must not be claimed forever."""
    stuck = Recorder(block=True)
    job_id = await add_job(sessions, max_attempts=1)
    await crash(await start_blocked(make_worker(sessions, settings, stuck), stuck))
    lease_end = (await load(sessions, job_id)).locked_until
    assert lease_end is not None

    healthy = Recorder()
    other = make_worker(sessions, settings, healthy, "worker-b")
    assert await other.run_once(now=lease_end + timedelta(seconds=1)) == 0
    job = await load(sessions, job_id)
    assert job.status == JobStatus.PARKED.value
    assert job.last_error == WORKER_LOST
    assert healthy.runs == []


async def test_a_handler_overrunning_its_lease_is_stopped_and_retried(sessions: Sessions, settings: Settings) -> None:
    stuck = Recorder(block=True)
    worker = make_worker(sessions, settings, stuck, lease=timedelta(seconds=0.5))
    job_id = await add_job(sessions)
    assert await worker.run_once() == 1
    job = await load(sessions, job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.PENDING.value, 1, "TimeoutError")


async def test_concurrent_workers_never_run_a_job_twice(sessions: Sessions, settings: Settings) -> None:
    small_batches = settings.model_copy(update={"jobs_batch_size": 4})
    recorder = Recorder()
    workers = [make_worker(sessions, small_batches, recorder, f"worker-{n}") for n in range(3)]
    job_ids = [await add_job(sessions, {"n": n}) for n in range(30)]
    for _ in range(30):
        if sum(await asyncio.gather(*(worker.run_once() for worker in workers))) == 0:
            break
    ran = sorted(job_id for job_id, _, _ in recorder.runs)
    assert ran == job_ids
    async with sessions() as session:
        statuses = set((await session.scalars(select(Job.status))).all())
    assert statuses == {JobStatus.DONE.value}


async def test_runtime_polls_runs_periodic_tasks_and_stops(sessions: Sessions, settings: Settings) -> None:
    ticks: list[datetime] = []

    async def tick(_sessions: Sessions, _settings: Settings, now: datetime) -> None:
        ticks.append(now)

    async def broken(_sessions: Sessions, _settings: Settings, _now: datetime) -> None:
        raise RuntimeError("sweep failed")

    fast = settings.model_copy(update={"jobs_poll_seconds": 0.02, "jobs_enabled": True})
    recorder = Recorder()
    periodic = [PeriodicTask("broken", 3600, broken), PeriodicTask("tick", 3600, tick)]
    runtime = await start_job_worker(sessions, fast, extra_handlers={KIND: recorder}, periodic=periodic)
    try:
        assert runtime.running
        job_id = await add_job(sessions, {"after": "start"})
        await asyncio.wait_for(recorder.started.wait(), 30)
    finally:
        await runtime.stop()  # lets the job in progress finish and record its outcome
    assert not runtime.running
    assert (await load(sessions, job_id)).status == JobStatus.DONE.value
    assert len(ticks) == 1  # due at start, then not again within the hour; a failing task does not stop others
    assert recorder.runs == [(job_id, 1, {"after": "start"})]


async def test_stopping_cancels_a_stuck_job_which_keeps_its_lease(sessions: Sessions, settings: Settings) -> None:
    stuck = Recorder(block=True)
    fast = settings.model_copy(update={"jobs_poll_seconds": 0.02, "jobs_enabled": True})
    job_id = await add_job(sessions)
    runtime = await start_job_worker(sessions, fast, extra_handlers={KIND: stuck}, worker_id="worker-shutdown")
    await asyncio.wait_for(stuck.started.wait(), 30)
    await runtime.stop(grace_seconds=0.05)
    assert not runtime.running
    job = await load(sessions, job_id)
    # Still leased to the stopped worker: another worker takes it over when the lease expires.
    assert (job.status, job.locked_by) == (JobStatus.RUNNING.value, "worker-shutdown")


async def test_disabled_runtime_does_not_poll_but_can_run_by_hand(sessions: Sessions, settings: Settings) -> None:
    disabled = settings.model_copy(update={"jobs_enabled": False})
    recorder = Recorder()
    runtime = await start_job_worker(sessions, disabled, extra_handlers={KIND: recorder})
    assert runtime.task is None and not runtime.running
    await add_job(sessions)
    assert await runtime.worker.run_once() == 1
    await runtime.stop()
    assert len(recorder.runs) == 1


def test_handler_registry_has_the_built_in_kinds_and_refuses_a_second_registration() -> None:
    handlers = build_handlers({KIND: Recorder()})
    assert {"event", WEBHOOK_DELIVER, NOTIFY_EMAIL, NOTIFY_SMS, KIND} <= set(handlers)
    with pytest.raises(ValueError, match=r"notify\.email"):
        build_handlers({NOTIFY_EMAIL: Recorder()})


async def test_two_workers_polling_at_once_take_disjoint_batches_of_at_most_their_size(
    settings: Settings, sessions: Sessions
) -> None:
    ids = [await add_job(sessions, {"n": n}) for n in range(12)]
    workers = [JobWorker(sessions, settings, {KIND: Recorder()}, name) for name in ("w1", "w2")]
    first, second = await asyncio.gather(*(worker._claim(utcnow(), 5) for worker in workers))
    claimed = [claim.id for claim in (*first, *second)]
    assert len(first) <= 5 and len(second) <= 5 and len(claimed) == len(set(claimed))
    assert sorted(claimed) == ids[: len(claimed)] and len(claimed) >= 5  # oldest first, none twice
    rest = [claim.id for claim in await workers[0]._claim(utcnow(), 50)]
    assert sorted(claimed + rest) == ids  # the others, each once
    assert all(claim.attempts == 1 for claim in (*first, *second))


# --- in-transaction handlers ------------------------------------------------------------------

EFFECT = "test.effect"


@dataclass
class RowWriter:
    """An in-transaction handler: each run adds one row (a far-future job of kind EFFECT) to the
    worker's session; it can block before writing, and refuses payloads marked bad."""

    block: bool = False
    runs: list[tuple[int, int]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, ctx: JobContext, session: AsyncSession, payload: dict[str, Any]) -> None:
        self.runs.append((ctx.job_id, ctx.attempt))
        self.started.set()
        if self.block:
            await self.release.wait()
        if payload.get("bad"):
            raise PermanentJobError("bad payload")
        session.add(Job(kind=EFFECT, payload={"by": ctx.job_id}, run_at=utcnow() + timedelta(days=365)))


def in_transaction_worker(sessions: Sessions, settings: Settings, writer: RowWriter, worker_id: str) -> JobWorker:
    return JobWorker(sessions, settings, {KIND: InTransaction(writer)}, worker_id)


async def effects(sessions: Sessions) -> list[int]:
    async with sessions() as session:
        return sorted(job.payload["by"] for job in await session.scalars(select(Job).where(Job.kind == EFFECT)))


async def test_in_transaction_jobs_of_one_poll_are_done_together_with_their_rows(
    sessions: Sessions, settings: Settings
) -> None:
    ids = [await add_job(sessions, {"n": n}) for n in range(3)]
    writer = RowWriter()
    assert await in_transaction_worker(sessions, settings, writer, "worker-a").run_once() == 3
    assert writer.runs == [(job_id, 1) for job_id in ids]  # one pass, in claim order
    assert await effects(sessions) == ids
    for job_id in ids:
        job = await load(sessions, job_id)
        assert (job.status, job.attempts, job.locked_by, job.last_error) == (JobStatus.DONE.value, 1, None, None)
        assert job.finished_at is not None


async def test_a_failing_in_transaction_job_fails_alone_and_leaves_no_row(
    sessions: Sessions, settings: Settings
) -> None:
    good, bad, other = [await add_job(sessions, {"bad": n == 1}) for n in range(3)]
    writer = RowWriter()
    assert await in_transaction_worker(sessions, settings, writer, "worker-a").run_once() == 3
    assert await effects(sessions) == [good, other]  # the batch's rolled-back rows are not kept
    assert [(await load(sessions, job_id)).status for job_id in (good, bad, other)] == ["done", "parked", "done"]
    assert (await load(sessions, bad)).last_error == "PermanentJobError: bad payload"


async def test_an_in_transaction_job_whose_worker_died_is_done_once_by_the_next(
    sessions: Sessions, settings: Settings
) -> None:
    job_id = await add_job(sessions)
    stuck = RowWriter(block=True)
    task = asyncio.create_task(in_transaction_worker(sessions, settings, stuck, "worker-a").run_once())
    await asyncio.wait_for(stuck.started.wait(), 30)
    await crash(task)
    held = await load(sessions, job_id)
    assert held.status == JobStatus.RUNNING.value and held.locked_until is not None
    assert await effects(sessions) == []

    healthy = RowWriter()
    other = in_transaction_worker(sessions, settings, healthy, "worker-b")
    assert await other.run_once(now=held.locked_until + timedelta(seconds=1)) == 1
    assert await effects(sessions) == [job_id]
    job = await load(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.DONE.value, 2, None)


async def test_an_in_transaction_worker_that_lost_its_lease_commits_nothing(
    sessions: Sessions, settings: Settings
) -> None:
    job_id = await add_job(sessions)
    slow = RowWriter(block=True)
    slow_run = asyncio.create_task(in_transaction_worker(sessions, settings, slow, "worker-slow").run_once())
    await asyncio.wait_for(slow.started.wait(), 30)
    lease_end = (await load(sessions, job_id)).locked_until
    assert lease_end is not None

    other = in_transaction_worker(sessions, settings, RowWriter(), "worker-b")
    assert await other.run_once(now=lease_end + timedelta(seconds=1)) == 1
    slow.release.set()
    assert await slow_run == 1  # it wrote its row and found the job no longer its own

    assert await effects(sessions) == [job_id]
    job = await load(sessions, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.DONE.value, 2, None)
