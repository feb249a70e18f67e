"""The job worker: claims due jobs under a lease, runs their handlers, and records the outcome.

Claiming is one short transaction: a SELECT of due ids and one ``UPDATE … RETURNING`` mark a
batch of jobs as this worker's. PostgreSQL locks the candidate rows with ``FOR UPDATE SKIP LOCKED`` so concurrent
workers take disjoint batches; SQLite runs one write at a time. Each claim adds one to
``attempts``, which later writes check, so two workers can never both own the same attempt.
A claimed job carries ``locked_until``: if its worker dies, the job becomes claimable again once
the lease has expired. Every later write about the
job is conditioned on still holding that claim, so a worker that lost its lease cannot
overwrite what the new owner recorded.

Jobs of an ``InTransaction`` kind claimed in the same poll run together: one session, one
transaction that holds all their rows and marks them all done. If any of them fails, the
transaction is rolled back and each runs again on its own, so one bad job fails only itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.jobs.handlers import InTransaction, JobContext, JobHandler, PermanentJobError
from gogaek.jobs.models import Job, JobStatus
from gogaek.notify.providers import NotificationProviders, build_providers
from gogaek.notify.webhooks import retry_delay
from gogaek.web.i18n import N_

log = logging.getLogger("gogaek.jobs")

# Why a job was parked, kept in ``last_error`` as one of these sentences (then ": " and the
# detail, if any); the admin pages show it in the reader's language (``failure_for_reader``).
WORKER_LOST = N_("마지막 시도 중 작업자가 중단되어 작업 임대가 만료되었습니다")
UNKNOWN_KIND = N_("처리할 수 없는 작업 종류입니다")

DEFAULT_LEASE = timedelta(minutes=5)
# A handler is stopped before its lease runs out, so no other worker can start the same job
# while it is still running; the rest of the lease is time to record the outcome.
HANDLER_SHARE_OF_LEASE = 0.8
ERROR_MAX_CHARS = 2000

PeriodicFunction = Callable[[async_sessionmaker[AsyncSession], Settings, datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """Recurring work (SLA sweeps, clean-ups) that every worker process runs when due.

    Several processes may run it at the same moment, so it must be idempotent (conditional
    UPDATEs, dedupe keys); nothing coordinates the processes.
    """

    name: str
    interval_seconds: float
    run: PeriodicFunction


@dataclass(frozen=True, slots=True)
class _Claim:
    """What the worker remembers about a job it owns; ``attempts`` doubles as the claim token."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    created_at: datetime


class LeaseLostError(Exception):
    """Another worker took the job over (its lease expired): this run's work must not commit."""


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


class JobWorker:
    """One worker identity; ``run_once`` is one poll, ``run_forever`` the loop around it."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        handlers: Mapping[str, JobHandler],
        worker_id: str,
        *,
        providers: NotificationProviders | None = None,
        periodic: Sequence[PeriodicTask] = (),
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.handlers = dict(handlers)
        self.worker_id = worker_id
        self.providers = providers or build_providers(settings)
        self.periodic = tuple(periodic)
        self.lease = lease
        self._periodic_due: dict[str, float] = {}

    async def run_once(self, now: datetime | None = None) -> int:
        """Claims up to ``jobs_batch_size`` due jobs and runs them concurrently; returns how many ran.

        ``now`` replaces the clock for this poll (due times, leases and backoff), which lets
        tests and tools look into the future without waiting.
        """
        claims = await self._claim(now or utcnow(), self.settings.jobs_batch_size)
        await asyncio.gather(*(self._run_logged(group, now) for group in self._groups(claims)))
        return len(claims)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Polls until ``stop`` is set, with at most ``jobs_batch_size`` jobs running at once.

        Each job runs as a task of its own, so a slow or hung job (stopped at its timeout) holds
        one slot, not the whole worker: jobs enqueued after it still start within a poll.
        Cancelling this task cancels the jobs in progress; they keep their leases.
        """
        running: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                await self._run_due_periodic()
                free = self.settings.jobs_batch_size - len(running)
                started = await self._start_due(free, running) if free > 0 else 0
                if free <= 0 or started < free:  # a full batch means more may be waiting: poll again at once
                    await self._pause(stop)
        finally:
            await asyncio.gather(*running, return_exceptions=True)

    async def _start_due(self, limit: int, running: set[asyncio.Task[None]]) -> int:
        try:
            claims = await self._claim(utcnow(), limit)
        except Exception:  # the database may be restarting: keep the worker alive and try again
            log.exception("job worker %s: polling failed", self.worker_id)
            return 0
        for group in self._groups(claims):
            task = asyncio.create_task(self._run_logged(group, None), name=f"job-{group[0].id}")
            running.add(task)
            task.add_done_callback(running.discard)
        return len(claims)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the poll interval has passed or ``stop`` is set. Not woken by a job finishing: a
        claim per freed slot meant a write transaction per job, which halved inquiry submissions
        on SQLite (benchmarks/inquiry_load.py --quick: 0.10x -> 0.05x of a bare endpoint)."""
        with suppress(TimeoutError):
            async with asyncio.timeout(self.settings.jobs_poll_seconds):
                await stop.wait()

    # --- claiming -------------------------------------------------------------------------

    async def _claim(self, now: datetime, limit: int) -> list[_Claim]:
        """Claims up to ``limit`` due jobs with one SELECT and one ``UPDATE … RETURNING`` (two
        statements per poll, not two per job), parking those whose worker died on their last attempt.

        PostgreSQL: the SELECT locks its rows with SKIP LOCKED, so concurrent workers take disjoint
        batches. (Written as ``id IN (sub-select … FOR UPDATE SKIP LOCKED LIMIT n)`` inside the
        UPDATE, PostgreSQL re-ran the sub-select per row and one worker claimed every due job.)
        SQLite runs one write transaction at a time. The UPDATE checks that each job is still due.
        """
        expired = and_(Job.status == JobStatus.RUNNING.value, Job.locked_until <= now)  # its worker died
        due = or_(and_(Job.status == JobStatus.PENDING.value, Job.run_at <= now), expired)
        lost = and_(expired, Job.attempts >= Job.max_attempts)
        async with self.sessionmaker() as session:
            candidates = (
                select(Job.id, Job.status, Job.attempts, Job.max_attempts)
                .where(due)
                .order_by(Job.run_at, Job.id)
                .limit(limit)
            )
            if (await session.connection()).dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            rows = (await session.execute(candidates)).all()
            gone = [r.id for r in rows if r.status == JobStatus.RUNNING.value and r.attempts >= r.max_attempts]
            if gone:  # an idle poll writes nothing
                await self._park_lost(session, and_(Job.id.in_(gone), lost), now)
            ids = [r.id for r in rows if r.id not in gone]
            if not ids:
                await session.commit()
                return []
            claimed = await session.execute(
                update(Job)
                .where(Job.id.in_(ids), due, ~lost)
                .values(
                    status=JobStatus.RUNNING.value,
                    locked_by=self.worker_id,
                    locked_until=now + self.lease,
                    attempts=Job.attempts + 1,
                )
                .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.created_at)
                .execution_options(synchronize_session=False)
            )
            claims = [
                _Claim(r.id, r.kind, dict(r.payload or {}), r.attempts, r.max_attempts, r.created_at) for r in claimed
            ]
            await session.commit()
        return sorted(claims, key=lambda claim: claim.id)

    async def _park_lost(self, session: AsyncSession, lost: ColumnElement[bool], now: datetime) -> None:
        """The last attempt's worker vanished mid-job; a job that kills its worker must not loop forever."""
        message = WORKER_LOST
        parked = await session.execute(
            update(Job)
            .where(lost)
            .values(
                status=JobStatus.PARKED.value, last_error=message, locked_by=None, locked_until=None, finished_at=now
            )
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        for job_id in parked.scalars():
            log.error("job %s parked: its worker was lost during the last attempt", job_id)

    # --- running --------------------------------------------------------------------------

    def _groups(self, claims: Sequence[_Claim]) -> list[list[_Claim]]:
        """One group per in-transaction kind, every other job alone, in claim order."""
        groups: list[list[_Claim]] = []
        shared: dict[str, list[_Claim]] = {}
        for claim in claims:
            if not isinstance(self.handlers.get(claim.kind), InTransaction):
                groups.append([claim])
            elif claim.kind in shared:
                shared[claim.kind].append(claim)
            else:
                groups.append(shared.setdefault(claim.kind, [claim]))
        return groups

    async def _run_logged(self, group: list[_Claim], now: datetime | None) -> None:
        try:
            await self._run_group(group, now)
        except Exception:  # the outcome could not be written; the lease will expire and it runs again
            log.exception("job %s: recording the outcome failed", ", ".join(str(claim.id) for claim in group))

    async def _run_group(self, group: list[_Claim], now: datetime | None) -> None:
        handler = self.handlers.get(group[0].kind)
        if not isinstance(handler, InTransaction):
            await self._run(group[0], handler, now)
            return
        if len(group) > 1:
            try:
                await self._run_in_transaction(handler, group, now)
            except Exception as exc:
                log.info("%d %s jobs failed together (%s); running them one by one", len(group), group[0].kind, exc)
            else:
                return
        for claim in group:
            await self._run(claim, handler, now)

    def _context(self, claim: _Claim) -> JobContext:
        return JobContext(self.sessionmaker, self.settings, self.providers, claim.id, claim.attempts, claim.created_at)

    async def _run(self, claim: _Claim, handler: JobHandler | None, now: datetime | None) -> None:
        if handler is None:
            message = f"{UNKNOWN_KIND}: {claim.kind!r}"
            await self._park(claim, message, now)
            return
        try:
            if isinstance(handler, InTransaction):
                await self._run_in_transaction(handler, [claim], now)
                return
            async with asyncio.timeout(self._handler_seconds):
                await handler(self._context(claim), claim.payload)
        except PermanentJobError as exc:
            await self._park(claim, _describe(exc), now)
        except Exception as exc:
            await self._fail(claim, exc, now)
        else:
            await self._record(claim, status=JobStatus.DONE.value, finished_at=now or utcnow(), last_error=None)

    @property
    def _handler_seconds(self) -> float:
        return self.lease.total_seconds() * HANDLER_SHARE_OF_LEASE

    async def _run_in_transaction(self, handler: InTransaction, group: list[_Claim], now: datetime | None) -> None:
        """The jobs' rows and their completion commit together or not at all."""
        async with asyncio.timeout(self._handler_seconds), self.sessionmaker() as session:
            for claim in group:
                await handler.run(self._context(claim), session, claim.payload)
            completed = await session.execute(
                update(Job)
                .where(self._owned(group))
                .values(status=JobStatus.DONE.value, locked_by=None, locked_until=None, finished_at=now or utcnow())
                .values(last_error=None)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(completed) != len(group):
                raise LeaseLostError("작업 임대가 만료되어 다른 작업자가 맡았습니다. (Lease lost before completion)")
            await session.commit()

    def _owned(self, claims: Sequence[_Claim]) -> ColumnElement[bool]:
        """Still this worker's, for the attempt it claimed."""
        return and_(
            tuple_(Job.id, Job.attempts).in_([(claim.id, claim.attempts) for claim in claims]),
            Job.status == JobStatus.RUNNING.value,
            Job.locked_by == self.worker_id,
        )

    async def _fail(self, claim: _Claim, exc: Exception, now: datetime | None) -> None:
        if claim.attempts >= claim.max_attempts:
            await self._park(claim, _describe(exc), now)
            return
        run_at = (now or utcnow()) + retry_delay(claim.attempts)
        log.warning(
            "job %s (%s) attempt %d/%d failed, retrying at %s: %s",
            claim.id,
            claim.kind,
            claim.attempts,
            claim.max_attempts,
            run_at.isoformat(),
            _describe(exc),
        )
        await self._record(claim, status=JobStatus.PENDING.value, run_at=run_at, last_error=_describe(exc))

    async def _park(self, claim: _Claim, message: str, now: datetime | None) -> None:
        log.error("job %s (%s) parked after attempt %d: %s", claim.id, claim.kind, claim.attempts, message)
        await self._record(claim, status=JobStatus.PARKED.value, finished_at=now or utcnow(), last_error=message)

    async def _record(self, claim: _Claim, **values: Any) -> None:
        """Writes the outcome only while this worker still owns the attempt it ran."""
        async with self.sessionmaker() as session:
            result = await session.execute(
                update(Job)
                .where(self._owned([claim]))
                .values(locked_by=None, locked_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        if _rowcount(result) != 1:
            log.warning("job %s: lease lost before the outcome was recorded; another worker owns it", claim.id)

    # --- periodic tasks -------------------------------------------------------------------

    async def _run_due_periodic(self) -> None:
        """Runs each task on start and then every ``interval_seconds`` (measured per process)."""
        for task in self.periodic:
            if time.monotonic() < self._periodic_due.get(task.name, 0.0):
                continue
            self._periodic_due[task.name] = time.monotonic() + task.interval_seconds
            try:
                await task.run(self.sessionmaker, self.settings, utcnow())
            except Exception:
                log.exception("periodic task %s failed; it runs again in %g s", task.name, task.interval_seconds)
