"""Running the job worker inside the app process: started in the lifespan, stopped at shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.jobs.handlers import JobHandler, build_handlers
from gogaek.jobs.worker import JobWorker, PeriodicTask
from gogaek.notify.providers import NotificationProviders

log = logging.getLogger("gogaek.jobs")

SHUTDOWN_GRACE_SECONDS = 10.0
_WORKER_ID_MAX = 80  # the width of jobs.locked_by


def new_worker_id() -> str:
    """Host, process and a random suffix: readable in the admin job list, unique across restarts."""
    suffix = f":{os.getpid()}:{secrets.token_hex(3)}"
    return socket.gethostname()[: _WORKER_ID_MAX - len(suffix)] + suffix


@dataclass
class JobRuntime:
    """The worker and, when ``jobs_enabled``, the background task polling with it."""

    worker: JobWorker
    task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        self.task = asyncio.create_task(self.worker.run_forever(self._stop), name=f"job-worker-{self.worker.worker_id}")

    async def stop(self, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Lets jobs in progress finish for ``grace_seconds``, then cancels them.

        A cancelled job keeps its lease; another worker (or this one after a restart) runs it
        again once the lease expires, which is why handlers are idempotent.
        """
        self._stop.set()
        if self.task is None:
            return
        done, _ = await asyncio.wait({self.task}, timeout=grace_seconds)
        if not done:
            log.warning("job worker %s did not stop within %g s; cancelling it", self.worker.worker_id, grace_seconds)
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task


async def start_job_worker(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    extra_handlers: Mapping[str, JobHandler] | None = None,
    periodic: Sequence[PeriodicTask] = (),
    worker_id: str | None = None,
    providers: NotificationProviders | None = None,
) -> JobRuntime:
    """Builds the worker; polls in the background only when ``settings.jobs_enabled``.

    With jobs disabled (e.g. a web-only process while dedicated workers run elsewhere) the
    returned runtime still has a worker for manual ``run_once`` calls, and ``stop`` is a no-op.
    """
    worker = JobWorker(
        sessionmaker,
        settings,
        build_handlers(extra_handlers),
        worker_id or new_worker_id(),
        periodic=periodic,
        providers=providers,
    )
    runtime = JobRuntime(worker)
    if settings.jobs_enabled:
        runtime.start()
    return runtime
