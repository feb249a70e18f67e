"""The retention policy: evidence files of long-closed inquiries and long-ended chats are deleted.

``GOGAEK_RETENTION_ATTACHMENT_MONTHS`` (N): attachments of inquiries closed more than N months
ago; ``GOGAEK_RETENTION_CHAT_MONTHS`` (M): chats ended more than M months ago, with their
messages and images; ``GOGAEK_RETENTION_ERASED_RECORDS_YEARS``: the records an erasure kept
without personal data (inquiries, callbacks, the anonymous customer row) once that many years
have passed since the inquiry was last closed or changed. Unset rules do nothing. The job
queue runs it daily; a dry run reports what would go (``gogaek privacy retention --dry-run``,
``GET /api/v1/admin/privacy/retention``).
"""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.chat.models import ChatMessage, ChatStatus, Conversation
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from gogaek.inquiries.storage import AttachmentStorage, build_attachment_storage
from gogaek.inquiries.workflow import Status
from gogaek.jobs.worker import PeriodicTask
from gogaek.phone.models import Callback
from gogaek.privacy.queries import ERASED_SOURCE
from gogaek.privacy.schemas import RetentionItem, RetentionReport
from gogaek.privacy.service import chat_image_keys, delete_files

RETENTION_SECONDS = 24 * 3600.0
BATCH = 500  # rows per run and rule: a large first run spreads over a few days
SHOWN_IDS = 100


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if shorter)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


async def apply_retention(
    session: AsyncSession,
    settings: Settings,
    storage: AttachmentStorage | None,
    *,
    dry_run: bool,
    now: datetime | None = None,
) -> RetentionReport:
    """One pass of both rules; with ``dry_run`` nothing changes and the report says what would."""
    now = now or utcnow()
    storage = storage or build_attachment_storage(settings)
    items = [
        await _attachments(session, storage, settings.retention_attachment_months, now, dry_run),
        await _chats(session, storage, settings.retention_chat_months, now, dry_run),
        await _erased_records(session, storage, settings.retention_erased_records_years, now, dry_run),
    ]
    return RetentionReport(dry_run=dry_run, ran_at=now, items=items)


async def _attachments(
    session: AsyncSession, storage: AttachmentStorage, months: int | None, now: datetime, dry_run: bool
) -> RetentionItem:
    if months is None:
        return RetentionItem(rule="closed_inquiry_attachments", months=None, cutoff=None, rows=0, files=0, ids=[])
    cutoff = months_before(now, months)
    rows = list(
        await session.scalars(
            select(InquiryAttachment)
            .join(Inquiry, Inquiry.id == InquiryAttachment.inquiry_id)
            .where(Inquiry.status == Status.CLOSED.value, Inquiry.closed_at < cutoff)
            .order_by(InquiryAttachment.id)
            .limit(BATCH)
        )
    )
    item = RetentionItem(
        rule="closed_inquiry_attachments",
        months=months,
        cutoff=cutoff,
        rows=len(rows),
        files=len(rows),
        ids=[row.id for row in rows[:SHOWN_IDS]],
    )
    if dry_run or not rows:
        await session.rollback()
        return item
    keys = [row.storage_key for row in rows]
    await session.execute(delete(InquiryAttachment).where(InquiryAttachment.id.in_([row.id for row in rows])))
    await session.commit()
    await delete_files(storage, keys)
    return item


async def _chats(
    session: AsyncSession, storage: AttachmentStorage, months: int | None, now: datetime, dry_run: bool
) -> RetentionItem:
    if months is None:
        return RetentionItem(rule="ended_chats", months=None, cutoff=None, rows=0, files=0, ids=[])
    cutoff = months_before(now, months)
    ids = list(
        await session.scalars(
            select(Conversation.id)
            .where(Conversation.status == ChatStatus.ENDED.value, Conversation.ended_at < cutoff)
            .order_by(Conversation.id)
            .limit(BATCH)
        )
    )
    keys = chat_image_keys(
        await session.scalars(select(ChatMessage.payload).where(ChatMessage.conversation_id.in_(ids)))
    )
    item = RetentionItem(
        rule="ended_chats", months=months, cutoff=cutoff, rows=len(ids), files=len(keys), ids=ids[:SHOWN_IDS]
    )
    if dry_run or not ids:
        await session.rollback()
        return item
    await session.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(ids)))
    await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    await session.commit()
    await delete_files(storage, keys)
    return item


async def _erased_records(
    session: AsyncSession, storage: AttachmentStorage, years: int | None, now: datetime, dry_run: bool
) -> RetentionItem:
    """Inquiries of erased customers past the legal period (their thread, events, feedback, appeal
    and mail records go with them), their callbacks, then anonymous customer rows nothing names."""
    if years is None:
        return RetentionItem(rule="erased_customer_records", months=None, cutoff=None, rows=0, files=0, ids=[])
    cutoff = months_before(now, years * 12)
    erased = select(Customer.id).where(Customer.source == ERASED_SOURCE)
    last_change = func.coalesce(Inquiry.closed_at, Inquiry.updated_at)
    ids = list(
        await session.scalars(
            select(Inquiry.id)
            .where(Inquiry.customer_id.in_(erased), last_change < cutoff)
            .order_by(Inquiry.id)
            .limit(BATCH)
        )
    )
    keys = list(
        await session.scalars(select(InquiryAttachment.storage_key).where(InquiryAttachment.inquiry_id.in_(ids)))
    )
    callbacks = list(
        await session.scalars(
            select(Callback.id).where(Callback.customer_id.in_(erased), Callback.updated_at < cutoff).limit(BATCH)
        )
    )
    item = RetentionItem(
        rule="erased_customer_records",
        months=years * 12,
        cutoff=cutoff,
        rows=len(ids) + len(callbacks),
        files=len(keys),
        ids=ids[:SHOWN_IDS],
    )
    if dry_run:
        await session.rollback()
        return item
    await session.execute(delete(InquiryAttachment).where(InquiryAttachment.inquiry_id.in_(ids)))
    await session.execute(delete(Inquiry).where(Inquiry.id.in_(ids)))  # the database cascades to the thread
    await session.execute(delete(Callback).where(Callback.id.in_(callbacks)))
    named = [exists().where(model.customer_id == Customer.id) for model in (Inquiry, Conversation, Callback)]
    await session.execute(delete(Customer).where(Customer.source == ERASED_SOURCE, *(~clause for clause in named)))
    await session.commit()
    await delete_files(storage, keys)
    return item


def _any_rule(settings: Settings) -> bool:
    rules = (
        settings.retention_attachment_months,
        settings.retention_chat_months,
        settings.retention_erased_records_years,
    )
    return any(rule is not None for rule in rules)


def periodic_tasks(settings: Settings) -> list[PeriodicTask]:
    """The daily pass for the job worker (background.py), when a rule is set."""
    return [PeriodicTask("privacy-retention", RETENTION_SECONDS, run_retention)] if _any_rule(settings) else []


async def run_retention(factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime) -> int:
    """The periodic task: rows deleted in this pass."""
    if not _any_rule(settings):
        return 0
    async with factory() as session:
        report = await apply_retention(session, settings, None, dry_run=False, now=now)
    return sum(item.rows for item in report.items)
