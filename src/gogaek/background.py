"""What the job worker runs for this app: handlers from each capability and periodic sweeps.

Kept apart from ``jobs/`` so the queue knows nothing about inquiries, and from ``app.py``
so a dedicated worker process (``gogaek worker``) starts the same set.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.inquiries.assignment import auto_assign, run_auto_assign_job, unassigned_open_inquiry_ids
from gogaek.inquiries.service import AUTO_ASSIGN_JOB
from gogaek.inquiries.sweeps import close_resolved_inquiries, delete_orphan_files, flag_sla_risks
from gogaek.jobs.handlers import InTransaction, JobHandler
from gogaek.jobs.runtime import start_job_worker
from gogaek.jobs.worker import PeriodicTask
from gogaek.mail.imap_poll import imap_periodic_tasks
from gogaek.mail.ingest import process_inbound_mail_job
from gogaek.mail.intake import MAIL_PROCESS_JOB
from gogaek.mail.outbound import MAIL_SEND_JOB, send_mail_job
from gogaek.phone import jobs as phone_jobs
from gogaek.phone import sweeps as phone_sweeps

log = logging.getLogger("gogaek.jobs")

SLA_SWEEP_SECONDS = 60.0
AUTO_CLOSE_SECONDS = 15 * 60.0
ASSIGN_WAITING_SECONDS = 120.0
ORPHAN_FILES_SECONDS = 3600.0  # walks the whole attachment folder, so not more often
ASSIGN_BATCH = 50


def job_handlers() -> dict[str, JobHandler]:
    return {
        AUTO_ASSIGN_JOB: InTransaction(run_auto_assign_job),
        MAIL_PROCESS_JOB: process_inbound_mail_job,
        MAIL_SEND_JOB: send_mail_job,
        **phone_jobs.job_handlers(),
    }


async def _sweep_sla(factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    async with factory() as session:
        return await flag_sla_risks(session, settings, now)


async def _assign_waiting(factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    """Unassigned inquiries get another chance when an agent comes back or frees up capacity."""
    async with factory() as session:
        waiting = await unassigned_open_inquiry_ids(session, limit=ASSIGN_BATCH)
    assigned = 0
    for inquiry_id in waiting:
        async with factory() as session:
            assigned += await auto_assign(session, settings, inquiry_id) is not None
    return assigned


async def _close_resolved(factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    async with factory() as session:
        return await close_resolved_inquiries(session, settings, now)


async def _delete_orphan_files(factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    async with factory() as session:
        return await delete_orphan_files(session, settings, now)


def periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    return [
        PeriodicTask("inquiry-sla-sweep", SLA_SWEEP_SECONDS, _sweep_sla),
        PeriodicTask("inquiry-auto-close", AUTO_CLOSE_SECONDS, _close_resolved),
        PeriodicTask("inquiry-assign-waiting", ASSIGN_WAITING_SECONDS, _assign_waiting),
        PeriodicTask("attachment-orphan-files", ORPHAN_FILES_SECONDS, _delete_orphan_files),
        *phone_sweeps.periodic_tasks(),
        *imap_periodic_tasks(settings),
        *__import__("gogaek.privacy.retention", fromlist=["_"]).periodic_tasks(settings),  # docs/privacy.md
    ]


async def run_dedicated_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Polls the queue and runs the periodic tasks until SIGTERM/SIGINT (or ``stop``), then lets
    jobs in progress finish within the shutdown grace, like the worker inside a web process."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    engine = create_engine(settings)
    try:
        runtime = await start_job_worker(
            create_sessionmaker(engine),
            settings.model_copy(update={"jobs_enabled": True}),
            extra_handlers=job_handlers(),
            periodic=periodic_tasks(settings),
        )
        log.info("작업 처리기 시작 (job worker %s started)", runtime.worker.worker_id)
        await stop.wait()
        log.info("작업 처리기 종료 중 (job worker %s stopping)", runtime.worker.worker_id)
        await runtime.stop()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await engine.dispose()
