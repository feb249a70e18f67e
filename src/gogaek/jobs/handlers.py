"""What a job handler is, what it gets, and the registry of handlers by job kind.

A handler may run more than once for the same job (a worker can die after the work but
before the job is marked done), so every handler must be idempotent: dedupe keys on the jobs
it enqueues, conditional UPDATEs, "already sent" checks.
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


def build_handlers(extra: Mapping[str, Handler] | None = None) -> dict[str, Handler]:
    """The built-in kinds plus those other capabilities register; a kind registered twice is a bug."""
    # Imported here, not at the top: notify.service builds on JobContext from this module.
    from gogaek.notify import service as notify_service

    handlers: dict[str, Handler] = {
        EVENT_JOB: notify_service.fan_out_event,
        WEBHOOK_DELIVER: notify_service.deliver_webhook_job,
        NOTIFY_EMAIL: notify_service.send_email_job,
        NOTIFY_SMS: notify_service.send_sms_job,
    }
    clashes = sorted(set(handlers) & set(extra or {}))
    if clashes:
        raise ValueError(f"job kinds registered twice: {', '.join(clashes)}")
    handlers.update(extra or {})
    return handlers
