"""The retention policy: evidence files of long-closed inquiries and long-ended chats are deleted.

``GOGAEK_RETENTION_ATTACHMENT_MONTHS`` (N): attachments of inquiries closed more than N months
ago; ``GOGAEK_RETENTION_CHAT_MONTHS`` (M): chats ended more than M months ago, with their
messages and images; ``GOGAEK_RETENTION_ERASED_RECORDS_YEARS``: the records an erasure kept
without personal data (inquiries, callbacks, the anonymous customer row) once that many years
have passed since the inquiry was last closed or changed. Unset rules do nothing. The job
queue runs it daily; a dry run reports what would go (``gogaek privacy retention --dry-run``,
``GET /api/v1/admin/privacy/retention``).

A run deletes in batches of ``BATCH`` rows, each batch its own transaction followed by its
files, until nothing is left: a first run on a long history takes a while but never holds one
huge transaction.
"""

from __future__ import annotations

import calendar
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, delete, exists, func, select
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
BATCH = 500  # rows per transaction
MAX_BATCHES = 200  # per rule and run: at most 100,000 rows a day, the rest the next day
SHOWN_IDS = 100


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if shorter)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class _Batch:
    """Rows one rule picked: the ids it reports, other rows that go with them, stored files."""

    ids: list[int]
    keys: list[str] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.ids) + len(self.extra) + len(self.customers)

    @property
    def full(self) -> bool:
        return max(len(self.ids), len(self.extra)) >= BATCH


Picker = Callable[[AsyncSession, datetime, int | None], Awaitable[_Batch]]
Remover = Callable[[AsyncSession, _Batch], Awaitable[int]]  # rows deleted


@dataclass(frozen=True)
class _Rule:
    name: str
    pick: Picker
    remove: Remover


async def apply_retention(
    session: AsyncSession,
    settings: Settings,
    storage: AttachmentStorage | None,
    *,
    dry_run: bool,
    now: datetime | None = None,
) -> RetentionReport:
    """Every rule once; with ``dry_run`` nothing changes and the report says what would go."""
    now = now or utcnow()
    storage = storage or build_attachment_storage(settings)
    years = settings.retention_erased_records_years
    limits = (
        (ATTACHMENTS, settings.retention_attachment_months),
        (CHATS, settings.retention_chat_months),
        (ERASED_RECORDS, years * 12 if years is not None else None),
    )
    items = [await _apply(session, storage, rule, months, now, dry_run) for rule, months in limits]
    return RetentionReport(dry_run=dry_run, ran_at=now, items=items)


async def _apply(
    session: AsyncSession, storage: AttachmentStorage, rule: _Rule, months: int | None, now: datetime, dry_run: bool
) -> RetentionItem:
    if months is None:
        return RetentionItem(rule=rule.name, months=None, cutoff=None, rows=0, files=0, ids=[])
    cutoff = months_before(now, months)
    rows = files = 0
    shown: list[int] = []
    for _ in range(MAX_BATCHES):
        batch = await rule.pick(session, cutoff, None if dry_run else BATCH)
        files += len(batch.keys)
        shown += batch.ids[: SHOWN_IDS - len(shown)]
        if dry_run or not batch.rows:
            rows += batch.rows
            await session.rollback()
            break
        rows += await rule.remove(session, batch)
        await session.commit()
        await delete_files(storage, batch.keys)
        if not batch.full:
            break
    return RetentionItem(rule=rule.name, months=months, cutoff=cutoff, rows=rows, files=files, ids=shown)


# --- closed inquiries' files -----------------------------------------------------------------


async def _pick_attachments(session: AsyncSession, cutoff: datetime, limit: int | None) -> _Batch:
    rows = (
        await session.execute(
            select(InquiryAttachment.id, InquiryAttachment.storage_key)
            .join(Inquiry, Inquiry.id == InquiryAttachment.inquiry_id)
            .where(Inquiry.status == Status.CLOSED.value, Inquiry.closed_at < cutoff)
            .order_by(InquiryAttachment.id)
            .limit(limit)
        )
    ).all()
    return _Batch(ids=[row.id for row in rows], keys=[row.storage_key for row in rows])


async def _remove_attachments(session: AsyncSession, batch: _Batch) -> int:
    return _count(await session.execute(delete(InquiryAttachment).where(InquiryAttachment.id.in_(batch.ids))))


ATTACHMENTS = _Rule("closed_inquiry_attachments", _pick_attachments, _remove_attachments)


# --- ended chats -----------------------------------------------------------------------------


async def _pick_chats(session: AsyncSession, cutoff: datetime, limit: int | None) -> _Batch:
    ids = list(
        await session.scalars(
            select(Conversation.id)
            .where(Conversation.status == ChatStatus.ENDED.value, Conversation.ended_at < cutoff)
            .order_by(Conversation.id)
            .limit(limit)
        )
    )
    payloads = await session.scalars(select(ChatMessage.payload).where(ChatMessage.conversation_id.in_(ids)))
    return _Batch(ids=ids, keys=chat_image_keys(payloads))


async def _remove_chats(session: AsyncSession, batch: _Batch) -> int:
    await session.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(batch.ids)))
    return _count(await session.execute(delete(Conversation).where(Conversation.id.in_(batch.ids))))


CHATS = _Rule("ended_chats", _pick_chats, _remove_chats)


# --- what an erasure kept ----------------------------------------------------------------------


def _erased() -> Select[int]:
    return select(Customer.id).where(Customer.source == ERASED_SOURCE)


async def _pick_erased_records(session: AsyncSession, cutoff: datetime, limit: int | None) -> _Batch:
    """Inquiries of erased customers past the period (their thread, events, feedback, appeal and
    mail records go with them by the database's cascade) and those customers' callbacks."""
    last_change = func.coalesce(Inquiry.closed_at, Inquiry.updated_at)
    ids = list(
        await session.scalars(
            select(Inquiry.id)
            .where(Inquiry.customer_id.in_(_erased()), last_change < cutoff)
            .order_by(Inquiry.id)
            .limit(limit)
        )
    )
    keys = await session.scalars(select(InquiryAttachment.storage_key).where(InquiryAttachment.inquiry_id.in_(ids)))
    callbacks = await session.scalars(
        select(Callback.id)
        .where(Callback.customer_id.in_(_erased()), Callback.updated_at < cutoff)
        .order_by(Callback.id)
        .limit(limit)
    )
    return _Batch(ids=ids, keys=list(keys), extra=list(callbacks), customers=list(await session.scalars(_unnamed())))


def _unnamed() -> Select[int]:
    """Anonymous customer rows that nothing names any more."""
    named = [exists().where(model.customer_id == Customer.id) for model in (Inquiry, Conversation, Callback)]
    return select(Customer.id).where(Customer.source == ERASED_SOURCE, *(~clause for clause in named))


async def _remove_erased_records(session: AsyncSession, batch: _Batch) -> int:
    """Then the anonymous customer rows that nothing names any more."""
    await session.execute(delete(InquiryAttachment).where(InquiryAttachment.inquiry_id.in_(batch.ids)))
    deleted = _count(await session.execute(delete(Inquiry).where(Inquiry.id.in_(batch.ids))))
    deleted += _count(await session.execute(delete(Callback).where(Callback.id.in_(batch.extra))))
    customers = list(await session.scalars(_unnamed()))
    return deleted + _count(await session.execute(delete(Customer).where(Customer.id.in_(customers))))


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


ERASED_RECORDS = _Rule("erased_customer_records", _pick_erased_records, _remove_erased_records)


# --- the job worker ------------------------------------------------------------------------------


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
