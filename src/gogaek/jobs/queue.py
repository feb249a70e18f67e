"""Putting work on the durable queue: a row added to the caller's transaction (the outbox).

The job exists exactly when the change that caused it was committed; the worker
(``gogaek.jobs.worker``) picks it up afterwards, in this process or another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.jobs.models import Job

DEFAULT_MAX_ATTEMPTS = 8


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job | None:
    """Adds a job to the session without committing; a job with the same dedupe key is not repeated."""
    if dedupe_key is not None:
        existing = await session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    job = Job(
        kind=kind,
        payload=payload,
        run_at=run_at or utcnow(),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
    session.add(job)
    return job
