"""What a job handler is, what it gets, and the registry of handlers by job kind.

A plain handler may run more than once for the same job (a worker can die after the work but
before the job is marked done), so it must be idempotent: dedupe keys on the jobs it
enqueues, conditional UPDATEs, "already sent" checks.

An :class:`InTransaction` handler only writes rows. It adds them to the worker's session, and
the worker marks the job done in that same transaction, so its effect happens exactly once
without markers, and the worker can run many such jobs in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.events import EVENT_JOB
from gogaek.notify.providers import NotificationProviders

WEBHOOK_DELIVER = "webhook.deliver"
NOTIFY_EMAIL = "notify.email"
NOTIFY_SMS = "notify.sms"


class PermanentJobError(Exception):
    """Retrying cannot help (bad payload, a receiver that refuses for good): park the job now."""


@dataclass(frozen=True, slots=True)
class JobContext:
    """Everything a handler may use; it opens its own sessions so its work commits on its own."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    providers: NotificationProviders
    job_id: int
    attempt: int  # 1 on the first run
    created_at: datetime | None = None  # when the job was enqueued (the claim reads it; handlers need not)


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
InTransactionRun = Callable[[JobContext, AsyncSession, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class InTransaction:
    """A handler whose whole effect is database rows: ``run`` adds them to the session it is
    given and never commits or rolls back; the worker commits them with the job's completion.

    The worker may pass several jobs of the kind through one session, one after another, so
    ``run`` must see what earlier jobs in the same session added (the ORM's autoflush does).
    """

    run: InTransactionRun


JobHandler = Handler | InTransaction


def build_handlers(extra: Mapping[str, JobHandler] | None = None) -> dict[str, JobHandler]:
    """The built-in kinds plus those other capabilities register; a kind registered twice is a bug."""
    # Imported here, not at the top: notify.service builds on JobContext from this module.
    from gogaek.notify import service as notify_service

    handlers: dict[str, JobHandler] = {
        EVENT_JOB: InTransaction(notify_service.fan_out_event),
        WEBHOOK_DELIVER: notify_service.deliver_webhook_job,
        NOTIFY_EMAIL: notify_service.send_email_job,
        NOTIFY_SMS: notify_service.send_sms_job,
    }
    clashes = sorted(set(handlers) & set(extra or {}))
    if clashes:
        raise ValueError(f"job kinds registered twice: {', '.join(clashes)}")
    handlers.update(extra or {})
    return handlers
