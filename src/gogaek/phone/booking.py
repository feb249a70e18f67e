"""Booking, cancelling and moving callbacks (상담 예약). Each verb is one transaction.

No overbooking: a slot's places are counted in ``callback_slots`` and taken with
``UPDATE … SET booked = booked + 1 WHERE booked < capacity``, so the database decides who gets
the last place, in one process or many. On SQLite the first statement of the transaction is
a write, which takes the write lock before anything is counted; on PostgreSQL the row lock
makes a second booker re-check the condition after the first commits. A transaction that
touches two slots (a reschedule) updates them in time order, so two of them cannot deadlock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.calendar.hours import SEOUL
from gogaek.calendar.service import load_business_hours
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser
from gogaek.inquiries.models import IdempotencyKey, Inquiry
from gogaek.inquiries.service import (
    add_timeline_event,
    apply_status,
    find_category,
    open_inquiry,
    replayed_resource_id,
)
from gogaek.inquiries.workflow import OPEN_STATUSES, Actor, Status
from gogaek.jobs.queue import enqueue
from gogaek.phone.event_data import callback_event_data
from gogaek.phone.models import ACTIVE_CALLBACK_STATUSES, Callback, CallbackKind, CallbackSlot, CallbackStatus
from gogaek.phone.numbers import callback_number
from gogaek.phone.schemas import CallbackCreate
from gogaek.phone.slots import Slot, checked_slot, load_roster
from gogaek.phone.verification import Verification, parse_phone, recent_verification, verification_required
from gogaek.web.i18n import N_, ngettext

REMINDER_JOB = "callback.remind"
PHONE_CHANNEL = "phone"


@dataclass(frozen=True, slots=True)
class Booking:
    callback: Callback
    created: bool  # False when an Idempotency-Key replay returned the first booking


def _rowcount(result: object) -> int:
    return cast(CursorResult[Any], result).rowcount


def slot_full() -> ProblemError:
    return ProblemError(409, "slot_full", N_("선택하신 시간은 예약이 마감되었습니다. 다른 시간을 골라 주세요."))


def _too_many(limit: int) -> ProblemError:
    return ProblemError(
        409,
        "too_many_bookings",
        ngettext(
            "예약은 한 번에 %(limit)s건까지 할 수 있습니다. 기존 예약을 취소하거나 상담 후 다시 예약해 주세요.",
            "예약은 한 번에 %(limit)s건까지 할 수 있습니다. 기존 예약을 취소하거나 상담 후 다시 예약해 주세요.",
            limit,
        )
        % {"limit": limit},
    )


def _not_changeable() -> ProblemError:
    return ProblemError(
        409,
        "callback_not_changeable",
        N_("이미 상담이 시작되었거나 끝난 예약은 바꿀 수 없습니다."),
    )


async def open_phone_inquiry(
    session: AsyncSession, customer: Customer, category: Category, title: str, body: str
) -> Inquiry:
    """The inquiry a phone contact is filed under, so it shows in 문의 내역 and the agent's history."""
    return await open_inquiry(session, customer, category, title=title, body=body, channel=PHONE_CHANNEL)


# --- slot places -------------------------------------------------------------------------------


async def _ensure_slot_row(session: AsyncSession, start: datetime) -> None:
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(CallbackSlot).values(slot_start=start, booked=0).on_conflict_do_nothing())


async def _take_place(session: AsyncSession, start: datetime, capacity: int) -> bool:
    result = await session.execute(
        update(CallbackSlot)
        .where(CallbackSlot.slot_start == start, CallbackSlot.booked < capacity)
        .values(booked=CallbackSlot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def _free_place(session: AsyncSession, start: datetime) -> None:
    await session.execute(
        update(CallbackSlot)
        .where(CallbackSlot.slot_start == start, CallbackSlot.booked > 0)
        .values(booked=CallbackSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


async def _schedule_reminder(session: AsyncSession, callback: Callback, settings: Settings) -> None:
    """One reminder per (callback, slot): the job queue runs it once, whatever the number of workers."""
    if callback.slot_start is None:
        return
    run_at = callback.slot_start - timedelta(minutes=settings.callback_reminder_minutes)
    await enqueue(
        session,
        REMINDER_JOB,
        {"callback_id": callback.id, "slot_start": callback.slot_start.isoformat()},
        run_at=max(run_at, utcnow()),
        dedupe_key=f"callback-reminder:{callback.id}:{int(callback.slot_start.timestamp())}",
    )


# --- booking -----------------------------------------------------------------------------------


def _request_hash(data: CallbackCreate) -> str:
    material = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def _idempotency_scope(customer_id: int) -> str:
    return f"customer:{customer_id}:callback"


async def _replayed(session: AsyncSession, customer_id: int, key: str, request_hash: str) -> Booking | None:
    resource_id = await replayed_resource_id(session, _idempotency_scope(customer_id), key, request_hash)
    callback = await session.get(Callback, resource_id) if resource_id is not None else None
    return Booking(callback, created=False) if callback is not None else None


async def _active_bookings(session: AsyncSession, customer_id: int, now: datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Callback)
        .where(
            Callback.customer_id == customer_id,
            Callback.kind == CallbackKind.BOOKED.value,
            Callback.status.in_(ACTIVE_CALLBACK_STATUSES),
            Callback.slot_end > now,
        )
    )
    return int(count or 0)


def _slot_label(slot_start: datetime) -> str:
    local = slot_start.astimezone(SEOUL)
    return f"{local.month}월 {local.day}일 {local:%H:%M}"


async def book_callback(
    session: AsyncSession,
    customer: Customer,
    data: CallbackCreate,
    *,
    settings: Settings,
    idempotency_key: str | None = None,
) -> Booking:
    """Takes a place in the slot and files the phone inquiry; a retried request returns the first booking."""
    customer_id = customer.id  # a rollback expires the row; the id is all that is needed afterwards
    request_hash = _request_hash(data)
    if idempotency_key is not None and (replay := await _replayed(session, customer_id, idempotency_key, request_hash)):
        return replay
    category = await find_category(session, data.category)
    phone = parse_phone(data.phone)
    verification = await recent_verification(session, customer, settings, phone=phone)
    if category.requires_verification and verification is None:
        raise verification_required()
    now = utcnow()
    slot = checked_slot(
        await load_business_hours(session), await load_roster(session, settings), data.slot_start, now, settings
    )
    try:
        # PostgreSQL: one booking at a time per customer, so two tabs cannot both pass the limit.
        await session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
        await _ensure_slot_row(session, slot.start)  # on SQLite, the write lock is taken here
        if await _active_bookings(session, customer_id, now) >= settings.callback_max_active:
            raise _too_many(settings.callback_max_active)
        if not await _take_place(session, slot.start, slot.capacity):
            raise slot_full()
        callback = await _add_callback(session, customer, category, slot, phone, data.note, verification)
        if idempotency_key is not None:
            session.add(
                IdempotencyKey(
                    scope=_idempotency_scope(customer_id),
                    key=idempotency_key,
                    request_hash=request_hash,
                    resource_id=callback.id,
                )
            )
        await events.emit(session, events.CALLBACK_BOOKED, callback_event_data(callback))
        await _schedule_reminder(session, callback, settings)
        await session.commit()
    except BaseException as exc:
        await session.rollback()
        if isinstance(exc, IntegrityError) and idempotency_key is not None:
            replay = await _replayed(session, customer_id, idempotency_key, request_hash)
            if replay is not None:  # a concurrent retry with the same key committed first
                return replay
        raise
    return Booking(callback, created=True)


async def _add_callback(
    session: AsyncSession,
    customer: Customer,
    category: Category,
    slot: Slot,
    phone: str,
    note: str,
    verification: Verification | None,
) -> Callback:
    title = f"전화 상담 예약 ({_slot_label(slot.start)})"
    inquiry = await open_phone_inquiry(session, customer, category, title, note or "(메모 없음)")
    now = utcnow()
    callback = Callback(
        kind=CallbackKind.BOOKED.value,
        customer_id=customer.id,
        inquiry_id=inquiry.id,
        category_id=category.id,
        phone=phone,
        note=inquiry.body if note else "",  # masked like the inquiry's text
        status=CallbackStatus.BOOKED.value,
        slot_start=slot.start,
        slot_end=slot.end,
        due_at=slot.start,
        verified_at=verification.at if verification is not None else None,
        verified_by=verification.method if verification is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(callback)
    await session.flush()
    callback.number = callback_number(callback)
    add_timeline_event(
        session,
        inquiry,
        "callback_booked",
        Actor.CUSTOMER,
        {"callback_id": callback.id, "slot_start": slot.start.isoformat()},
    )
    return callback


# --- cancelling and moving ----------------------------------------------------------------------


async def own_callback(session: AsyncSession, customer_id: int, callback_id: int) -> Callback:
    """The customer's own callback; anyone else's is "not found", never "forbidden"."""
    callback = await session.scalar(
        select(Callback).where(Callback.id == callback_id, Callback.customer_id == customer_id)
    )
    if callback is None:
        raise not_found("예약")
    return callback


async def _close_inquiry_of(session: AsyncSession, callback: Callback, settings: Settings, now: datetime) -> None:
    """A cancelled booking leaves nothing to do: its inquiry is resolved (the customer can still reopen it)."""
    inquiry = await session.get(Inquiry, callback.inquiry_id) if callback.inquiry_id is not None else None
    if inquiry is None:
        return
    add_timeline_event(session, inquiry, "callback_cancelled", Actor.CUSTOMER, {"callback_id": callback.id})
    if Status(inquiry.status) in OPEN_STATUSES:
        apply_status(inquiry, Status.RESOLVED, now, await load_business_hours(session), settings)


async def cancel_callback(session: AsyncSession, customer: Customer, callback_id: int, settings: Settings) -> Callback:
    """Frees the place. Cancelling again (a retry) answers with the cancelled booking."""
    customer_id = customer.id  # a rollback expires the row
    callback = await own_callback(session, customer_id, callback_id)
    if callback.status == CallbackStatus.CANCELLED.value:
        return callback
    if callback.status != CallbackStatus.BOOKED.value:
        raise _not_changeable()
    now = utcnow()
    try:
        result = await session.execute(
            update(Callback)
            .where(Callback.id == callback.id, Callback.status == CallbackStatus.BOOKED.value)
            .values(status=CallbackStatus.CANCELLED.value, updated_at=now, finished_at=now)
        )
        if _rowcount(result) != 1:
            raise _not_changeable()  # an agent claimed it, or a parallel cancel won: re-read below
        if callback.slot_start is not None:
            await _free_place(session, callback.slot_start)
        await _close_inquiry_of(session, callback, settings, now)
        await events.emit(session, events.CALLBACK_CANCELLED, callback_event_data(callback))
        await session.commit()
    except ProblemError:
        await session.rollback()
        again = await own_callback(session, customer_id, callback_id)
        if again.status == CallbackStatus.CANCELLED.value:
            return again
        raise
    except BaseException:
        await session.rollback()
        raise
    return callback


RESCHEDULABLE_BY_CUSTOMER = (CallbackStatus.BOOKED.value,)
RESCHEDULABLE_BY_STAFF = (CallbackStatus.BOOKED.value, CallbackStatus.RETRY.value, CallbackStatus.IN_PROGRESS.value)


async def reschedule_callback(
    session: AsyncSession,
    callback: Callback,
    slot_start: datetime,
    settings: Settings,
    *,
    staff: StaffUser | None = None,
) -> Callback:
    """Moves the booking to another slot in one transaction: it ends in exactly one of the two."""
    allowed = RESCHEDULABLE_BY_STAFF if staff is not None else RESCHEDULABLE_BY_CUSTOMER
    if callback.status not in allowed:
        raise _not_changeable()
    now = utcnow()
    slot = checked_slot(
        await load_business_hours(session), await load_roster(session, settings), slot_start, now, settings
    )
    old_start, old_status = callback.slot_start, callback.status
    if old_start == slot.start and old_status == CallbackStatus.BOOKED.value:
        return callback
    try:
        # First statement: claims the callback row as it was read, so a parallel change loses here.
        moved = await session.execute(
            update(Callback)
            .where(
                Callback.id == callback.id,
                Callback.status == old_status,
                Callback.slot_start.is_(None) if old_start is None else Callback.slot_start == old_start,
            )
            .values(
                slot_start=slot.start,
                slot_end=slot.end,
                due_at=slot.start,
                status=CallbackStatus.BOOKED.value,
                claimed_by_id=None,
                claimed_at=None,
                overdue_flagged_at=None,
                attempts=0,
                updated_at=now,
            )
        )
        if _rowcount(moved) != 1:
            raise _not_changeable()
        await _ensure_slot_row(session, slot.start)
        for start in sorted({slot.start, *([old_start] if old_start is not None else [])}):
            if start == slot.start and start != old_start:
                if not await _take_place(session, slot.start, slot.capacity):
                    raise slot_full()
            elif start != slot.start:
                await _free_place(session, start)
        await _record_move(session, callback, old_start, staff)
        await _schedule_reminder(session, callback, settings)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return callback


async def _record_move(
    session: AsyncSession, callback: Callback, old_start: datetime | None, staff: StaffUser | None
) -> None:
    data = {
        "callback_id": callback.id,
        "from": old_start.isoformat() if old_start is not None else None,
        "to": callback.slot_start.isoformat() if callback.slot_start is not None else None,
    }
    inquiry = await session.get(Inquiry, callback.inquiry_id) if callback.inquiry_id is not None else None
    if inquiry is not None:
        actor = Actor.AGENT if staff is not None else Actor.CUSTOMER
        add_timeline_event(session, inquiry, "callback_rescheduled", actor, data, staff)
    await events.emit(
        session, events.CALLBACK_RESCHEDULED, callback_event_data(callback, previous_slot_start=data["from"])
    )
