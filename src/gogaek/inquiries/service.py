"""Filing an inquiry, and what every verb on it shares: its timeline, its events and its status moves.

The customer's verbs (``customer_verbs``) and the agent's (``agent_verbs``) build on these. Each verb is
one transaction; events leave with the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from gogaek import events
from gogaek.calendar.business_time import add_business_time
from gogaek.calendar.hours import SEOUL, BusinessHours
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser, Team, TeamCategory
from gogaek.inquiries.attachments import CheckedUpload, check_upload_count
from gogaek.inquiries.emergency import is_emergency
from gogaek.inquiries.models import (
    IdempotencyKey,
    Inquiry,
    InquiryAttachment,
    InquiryEvent,
    Priority,
)
from gogaek.inquiries.schemas import InquiryCreate
from gogaek.inquiries.sla import pause_resolution, resume_resolution, start_clocks, targets_for
from gogaek.inquiries.storage import AttachmentStorage, save_all
from gogaek.inquiries.workflow import Actor, Status, check_transition
from gogaek.jobs.queue import enqueue
from gogaek.korean.pii import mask_card_numbers, mask_pii
from gogaek.reference_cache import cached
from gogaek.web.i18n import N_, current_language, gettext

AUTO_ASSIGN_JOB = "inquiry.auto_assign"


@dataclass(frozen=True, slots=True)
class Submission:
    inquiry: Inquiry
    category: Category
    created: bool  # False when an Idempotency-Key replay returned the first result
    evidence: tuple[InquiryAttachment, ...] = ()  # filed with a new inquiry; its 201 is built without reading back


def event_data(inquiry: Inquiry, **extra: Any) -> dict[str, Any]:
    """What every inquiry event carries; webhooks receive exactly this."""
    return {
        "inquiry_id": inquiry.id,
        "number": inquiry.number,
        "status": inquiry.status,
        "priority": inquiry.priority,
        "category_id": inquiry.category_id,
        "customer_id": inquiry.customer_id,
        "assignee_id": inquiry.assignee_id,
        "team_id": inquiry.team_id,
        "title": inquiry.title,
        **extra,
    }


def add_timeline_event(
    session: AsyncSession,
    inquiry: Inquiry,
    kind: str,
    actor: Actor,
    data: dict[str, Any],
    staff: StaffUser | None = None,
) -> None:
    session.add(
        InquiryEvent(
            inquiry_id=inquiry.id,
            kind=kind,
            actor_kind=actor.value,
            actor_staff_id=staff.id if staff is not None else None,
            data=data,
        )
    )


# --- submitting -----------------------------------------------------------------------


def _request_hash(data: InquiryCreate, uploads: Sequence[CheckedUpload]) -> str:
    material = json.dumps([data.model_dump(), [u.sha256 for u in uploads]], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def _idempotency_scope(customer: Customer) -> str:
    return f"customer:{customer.id}:inquiry"


async def replayed_resource_id(session: AsyncSession, scope: str, key: str, request_hash: str) -> int | None:
    """The id a retry with this key already created; the same key with other content is a 422."""
    row = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key))
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise ProblemError(
            422,
            "idempotency_key_reused",
            N_("같은 Idempotency-Key로 다른 내용을 보낼 수 없습니다."),
        )
    return row.resource_id


async def _replayed(session: AsyncSession, customer: Customer, key: str, request_hash: str) -> Submission | None:
    resource_id = await replayed_resource_id(session, _idempotency_scope(customer), key, request_hash)
    if resource_id is None:
        return None
    earlier = (
        await session.execute(
            select(Inquiry, Category)
            .join(Category, Category.id == Inquiry.category_id)
            .where(Inquiry.id == resource_id)
        )
    ).first()
    return None if earlier is None else Submission(earlier.Inquiry, earlier.Category, created=False)


async def _load_category(session: AsyncSession, ref: str) -> Category | None:
    """A copy that belongs to no session, so requests can share it (``reference_cache``)."""
    columns = Category.__table__.columns
    row = (await session.execute(select(*columns).where(or_(Category.slug == ref, Category.name == ref)))).first()
    if row is None:
        return None
    category = Category(**row._mapping)
    make_transient_to_detached(category)
    return category


async def find_category(session: AsyncSession, ref: str) -> Category:
    category = await cached(session, f"category:{ref}", lambda: _load_category(session, ref))
    if category is None:
        raise ProblemError(
            422,
            "unknown_category",
            gettext("알 수 없는 문의 유형입니다: %(category)s") % {"category": ref},
            errors=[{"loc": ["body", "category"], "message": "unknown category"}],
        )
    return category


@dataclass(frozen=True, slots=True)
class _Routing:
    emergency_team_id: int | None
    team_by_category: dict[int, int]  # the lowest team id linked to each category


async def _load_routing(session: AsyncSession) -> _Routing:
    emergency = await session.scalar(select(Team.id).where(Team.handles_emergencies.is_(True)).order_by(Team.id))
    links = (await session.execute(select(TeamCategory.category_id, TeamCategory.team_id))).all()
    team_by_category: dict[int, int] = {}
    for category_id, team_id in links:
        team_by_category[category_id] = min(team_id, team_by_category.get(category_id, team_id))
    return _Routing(emergency, team_by_category)


async def _route_team(session: AsyncSession, category_id: int, emergency: bool) -> int | None:
    routing = await cached(session, "inquiry_routing", lambda: _load_routing(session))
    if emergency and routing.emergency_team_id is not None:
        return routing.emergency_team_id
    return routing.team_by_category.get(category_id)


def inquiry_number(inquiry: Inquiry) -> str:
    """Customer-facing 문의번호: the Seoul date and the row id, unique and easy to read out on the phone."""
    return f"{inquiry.created_at.astimezone(SEOUL):%Y%m%d}-{inquiry.id:06d}"


async def submit_inquiry(
    session: AsyncSession,
    customer: Customer,
    data: InquiryCreate,
    *,
    settings: Settings,
    storage: AttachmentStorage,
    uploads: Sequence[CheckedUpload] = (),
    idempotency_key: str | None = None,
    channel: str = "web",
    on_insert: Callable[[Inquiry], Awaitable[object]] | None = None,
) -> Submission:
    """Files the inquiry with its evidence and SLA clocks; a retried request returns the first one.

    ``on_insert`` lets another capability add its own rows (an appeal) in the same transaction.
    """
    check_upload_count(len(uploads), settings)
    request_hash = _request_hash(data, uploads)
    # A retry is found by its key's unique index at commit, not looked up first: a new key, the
    # common case, then costs no SELECT; a retry costs an insert that is rolled back. ``on_insert``
    # may refuse a retry by its own rules (an appeal already in review) before the index could
    # answer, so with it the key is looked up first.
    if idempotency_key is not None and on_insert is not None:
        replay = await _replayed(session, customer, idempotency_key, request_hash)
        if replay is not None:
            return replay
    category = await find_category(session, data.category)
    stored = await save_all(storage, [(upload.data, upload.extension) for upload in uploads])
    try:
        inquiry = await open_inquiry(
            session,
            customer,
            category,
            title=data.title,
            body=data.body,
            channel=channel,
            transaction_ref=data.transaction_ref,
        )
        evidence = tuple(
            attachment_row(inquiry.id, None, upload, key) for upload, key in zip(uploads, stored, strict=True)
        )
        session.add_all(evidence)
        if on_insert is not None:
            await on_insert(inquiry)
        if idempotency_key is not None:
            session.add(
                IdempotencyKey(
                    scope=_idempotency_scope(customer),
                    key=idempotency_key,
                    request_hash=request_hash,
                    resource_id=inquiry.id,
                )
            )
        await enqueue_auto_assign(session, inquiry)
        await session.commit()
    except BaseException as exc:
        await session.rollback()
        for key in stored:
            await storage.delete(key)
        if isinstance(exc, IntegrityError) and idempotency_key is not None:
            # A retry (or a concurrent twin) with the same key committed first: answer with its inquiry.
            await session.refresh(customer)  # the rollback expired it
            replay = await _replayed(session, customer, idempotency_key, request_hash)
            if replay is not None:
                return replay
        raise
    return Submission(inquiry, category, created=True, evidence=evidence)


async def open_inquiry(
    session: AsyncSession,
    customer: Customer,
    category: Category,
    *,
    title: str,
    body: str,
    channel: str,
    transaction_ref: str | None = None,
) -> Inquiry:
    """Adds an inquiry with its SLA clocks and its "created" event, uncommitted: the caller commits
    it together with what filed it (evidence, a callback booking), or nothing at all."""
    emergency = is_emergency(title, body)
    priority = Priority.URGENT if emergency else Priority.NORMAL
    title, body = mask_pii(title).text, mask_pii(body).text
    now = utcnow()
    inquiry = Inquiry(
        customer_id=customer.id,
        category_id=category.id,
        team_id=await _route_team(session, category.id, emergency),
        channel=channel,
        status=Status.RECEIVED.value,
        priority=priority.value,
        is_emergency=emergency,
        title=title,
        body=body,
        # A card number typed as the 결제번호 is hidden too; other references stay as typed.
        transaction_ref=mask_card_numbers(transaction_ref) if transaction_ref else None,
        tags=["긴급"] if emergency else [],
        # The language of the request that filed it (Korean for mail, chat and background work).
        locale=current_language(),
        created_at=now,
        updated_at=now,
    )
    hours = await load_business_hours(session)
    start_clocks(inquiry, await targets_for(session, category.id, priority.value), now, hours)
    session.add(inquiry)
    await session.flush()
    # The database wrote the same number within the INSERT (migration 0011): no UPDATE is sent.
    set_committed_value(inquiry, "number", inquiry_number(inquiry))
    add_timeline_event(session, inquiry, "created", Actor.CUSTOMER, {"channel": channel, "emergency": emergency})
    await events.emit(session, events.INQUIRY_CREATED, event_data(inquiry))
    return inquiry


async def enqueue_auto_assign(session: AsyncSession, inquiry: Inquiry) -> None:
    # No dedupe key: the id was allocated by this very transaction, so there is nothing to
    # repeat, and looking one up would cost a SELECT that also splits the two job INSERTs.
    await enqueue(session, AUTO_ASSIGN_JOB, {"inquiry_id": inquiry.id})


async def add_evidence(
    session: AsyncSession,
    inquiry: Inquiry,
    uploads: Sequence[CheckedUpload],
    storage: AttachmentStorage,
    message_id: int | None = None,
) -> None:
    """Stores files with an inquiry (or one of its messages) inside the caller's transaction; a later
    rollback leaves orphan files that the orphan-file sweep deletes."""
    stored = await save_all(storage, [(upload.data, upload.extension) for upload in uploads])
    session.add_all(
        attachment_row(inquiry.id, message_id, upload, key) for upload, key in zip(uploads, stored, strict=True)
    )


def attachment_row(inquiry_id: int, message_id: int | None, upload: CheckedUpload, key: str) -> InquiryAttachment:
    return InquiryAttachment(
        inquiry_id=inquiry_id,
        message_id=message_id,
        storage_key=key,
        display_name=upload.display_name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
    )


# --- status changes -------------------------------------------------------------------


def apply_status(inquiry: Inquiry, target: Status, now: datetime, hours: BusinessHours, settings: Settings) -> None:
    """Moves the inquiry and its SLA clocks; the transition was checked by the caller."""
    previous = Status(inquiry.status)
    inquiry.status = target.value
    inquiry.updated_at = now
    if target == Status.ANSWERED:
        pause_resolution(inquiry, now, hours)
    elif target in (Status.IN_PROGRESS, Status.RECEIVED) and previous == Status.ANSWERED:
        resume_resolution(inquiry, now, hours)
    elif target == Status.IN_PROGRESS and previous == Status.RESOLVED:
        # Reopened: the remaining work gets a fresh resolution promise.
        inquiry.resolved_at = None
        inquiry.resolution_remaining_seconds = None
        inquiry.resolution_warned_at = inquiry.resolution_breached_at = None
        inquiry.resolution_due_at = None
    if target == Status.RESOLVED:
        inquiry.resolved_at = now
    elif target == Status.CLOSED:
        inquiry.closed_at = now


async def change_status(
    session: AsyncSession,
    inquiry: Inquiry,
    target: Status | str,
    actor: Actor,
    settings: Settings,
    *,
    staff: StaffUser | None = None,
) -> Inquiry:
    """Checks the workflow table, moves the clocks, records the timeline and the event (no commit)."""
    destination = check_transition(inquiry.status, str(target), actor)
    previous = inquiry.status
    now = utcnow()
    hours = await load_business_hours(session)
    apply_status(inquiry, destination, now, hours, settings)
    if previous == Status.RESOLVED and destination == Status.IN_PROGRESS:
        targets = await targets_for(session, inquiry.category_id, inquiry.priority)
        inquiry.resolution_due_at = add_business_time(now, targets.resolution, hours)
    add_timeline_event(session, inquiry, "status_changed", actor, {"from": previous, "to": destination.value}, staff)
    await events.emit(
        session,
        events.INQUIRY_STATUS_CHANGED,
        event_data(inquiry, from_status=previous, to_status=destination.value, actor=actor.value),
    )
    return inquiry
