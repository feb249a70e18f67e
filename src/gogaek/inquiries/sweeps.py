"""Periodic sweeps run by the job worker: auto-close, SLA risk flagged exactly once, orphan files.

Every step is a conditional UPDATE (or an idempotent delete), so several processes may sweep at
the same time and an inquiry is still closed, warned or marked breached only once; an inquiry's
flag, timeline entry and event always commit together, in transactions of a few dozen inquiries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.calendar.service import load_business_hours
from gogaek.chat.models import ChatMessage
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from gogaek.inquiries.service import add_timeline_event, event_data
from gogaek.inquiries.sla import FINISHED_RANK, is_near_breach
from gogaek.inquiries.storage import LocalAttachmentStorage
from gogaek.inquiries.workflow import OPEN_STATUSES, Actor, Status

KEYS_PER_QUERY = 500
# Inquiries flagged or closed per transaction. On SQLite a transaction runs on the event loop's
# thread without a pause (sqlite_inline.py): 1,000 breaches in one held every request ~0.75 s.
CHANGES_PER_COMMIT = 50


async def _commit_every(session: AsyncSession, changed: int) -> None:
    """Commits after each ``CHANGES_PER_COMMIT`` and lets the loop serve others before the next."""
    if changed % CHANGES_PER_COMMIT == 0:
        await session.commit()
        await asyncio.sleep(0)


async def close_resolved_inquiries(session: AsyncSession, settings: Settings, now: datetime | None = None) -> int:
    """Resolved inquiries close by themselves after the configured number of days."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.inquiry_close_after_days)
    due = (
        await session.scalars(
            select(Inquiry)
            .where(Inquiry.status == Status.RESOLVED.value, Inquiry.resolved_at <= cutoff)
            .order_by(Inquiry.id)
            .limit(500)
        )
    ).all()
    for position, inquiry in enumerate(due, 1):
        claimed = await session.execute(
            update(Inquiry)
            .where(Inquiry.id == inquiry.id, Inquiry.status == Status.RESOLVED.value)
            # A Core UPDATE skips the ORM listener that keeps the queue order, so it is set here.
            .values(status=Status.CLOSED.value, closed_at=now, updated_at=now, queue_rank=FINISHED_RANK)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            inquiry.status = Status.CLOSED.value
            add_timeline_event(session, inquiry, "status_changed", Actor.SYSTEM, {"from": "resolved", "to": "closed"})
            await events.emit(
                session,
                events.INQUIRY_STATUS_CHANGED,
                event_data(inquiry, from_status="resolved", to_status="closed", actor="system"),
            )
        await _commit_every(session, position)
    await session.commit()
    return len(due)


_CLOCKS = (
    # (due column, warned column, breached column, done column, label)
    (
        "first_response_due_at",
        "first_response_warned_at",
        "first_response_breached_at",
        "first_responded_at",
        "first_response",
    ),
    ("resolution_due_at", "resolution_warned_at", "resolution_breached_at", "resolved_at", "resolution"),
)


async def flag_sla_risks(session: AsyncSession, settings: Settings, now: datetime | None = None) -> int:
    """Marks open inquiries near breach or breached, once per clock, and emits the event."""
    now = now or utcnow()
    hours = await load_business_hours(session)
    open_statuses = [status.value for status in OPEN_STATUSES]
    flagged = 0
    for due_name, warned_name, breached_name, done_name, label in _CLOCKS:
        due_col = getattr(Inquiry, due_name)
        candidates = (
            await session.scalars(
                select(Inquiry)
                .where(
                    Inquiry.status.in_(open_statuses),
                    due_col.is_not(None),
                    getattr(Inquiry, done_name).is_(None),
                    getattr(Inquiry, breached_name).is_(None),
                    due_col <= now + timedelta(days=3),
                )
                .order_by(due_col)
                .limit(1000)
            )
        ).all()
        for position, inquiry in enumerate(candidates, 1):
            due = getattr(inquiry, due_name)
            if due <= now:
                flagged += await _flag(session, inquiry, breached_name, now, events.INQUIRY_SLA_BREACHED, label)
            elif getattr(inquiry, warned_name) is None and is_near_breach(
                inquiry.created_at, due, now, hours, settings.sla_near_breach_ratio
            ):
                flagged += await _flag(session, inquiry, warned_name, now, events.INQUIRY_SLA_WARNING, label)
            await _commit_every(session, position)
    await session.commit()
    return flagged


async def _flag(session: AsyncSession, inquiry: Inquiry, column: str, now: datetime, event: str, clock: str) -> int:
    claimed = await session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry.id, getattr(Inquiry, column).is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return 0  # another process flagged it first
    setattr(inquiry, column, now)
    add_timeline_event(session, inquiry, event.removeprefix("inquiry."), Actor.SYSTEM, {"clock": clock})
    await events.emit(session, event, event_data(inquiry, clock=clock, due_at=_due_iso(inquiry, clock)))
    return 1


def _due_iso(inquiry: Inquiry, clock: str) -> str | None:
    due = inquiry.first_response_due_at if clock == "first_response" else inquiry.resolution_due_at
    return due.isoformat() if due is not None else None


async def delete_orphan_files(session: AsyncSession, settings: Settings, now: datetime | None = None) -> int:
    """Deletes local attachment files that no inquiry attachment or chat image references.

    Files are written before their row is committed, so a process killed in between leaves one
    behind. Only files older than ``attachment_orphan_age_seconds`` are judged: a younger one may
    belong to an upload still in flight. S3 buckets are left to a lifecycle rule (docs/inquiries.md).
    """
    if settings.attachment_storage != "local":
        return 0
    now = now or utcnow()
    cutoff = (now - timedelta(seconds=settings.attachment_orphan_age_seconds)).timestamp()
    stale = await asyncio.to_thread(LocalAttachmentStorage(settings.attachment_path).stale_files, cutoff)
    referenced = await _referenced_keys(session, list(stale))
    orphans = [path for key, path in stale.items() if key not in referenced]
    await asyncio.to_thread(_unlink_all, orphans)
    return len(orphans)


async def _referenced_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    image_key = ChatMessage.payload["image"]["key"].as_string()
    referenced: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        referenced.update(
            await session.scalars(select(InquiryAttachment.storage_key).where(InquiryAttachment.storage_key.in_(chunk)))
        )
        referenced.update(key for key in await session.scalars(select(image_key).where(image_key.in_(chunk))) if key)
    await session.rollback()  # read-only: end the transaction rather than hold a snapshot
    return referenced


def _unlink_all(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
