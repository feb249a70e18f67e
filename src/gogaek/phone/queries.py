"""Reads of callbacks as customers see them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.hours import SEOUL
from gogaek.db import utcnow
from gogaek.errors import not_found
from gogaek.helpcenter.models import Category
from gogaek.inquiries.models import Inquiry
from gogaek.phone.models import Callback, CallbackKind, CallbackStatus
from gogaek.phone.numbers import mask_phone
from gogaek.phone.schemas import CallbackPublic

MAX_LISTED = 100


def _with_references() -> Select[Callback, Category, str | None]:
    return (
        select(Callback, Category, Inquiry.number)
        .outerjoin(Category, Category.id == Callback.category_id)
        .outerjoin(Inquiry, Inquiry.id == Callback.inquiry_id)
    )


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SEOUL) if moment is not None else None


def callback_public(
    callback: Callback, category: Category | None, inquiry_number: str | None, now: datetime | None = None
) -> CallbackPublic:
    still_booked = callback.status == CallbackStatus.BOOKED.value and callback.kind == CallbackKind.BOOKED.value
    upcoming = still_booked and callback.slot_start is not None and callback.slot_start > (now or utcnow())
    return CallbackPublic(
        id=callback.id,
        number=callback.number or "",
        status=callback.status,
        kind=callback.kind,
        category=category.slug if category is not None else "",
        category_name=category.name if category is not None else "",
        slot_start=_local(callback.slot_start),
        slot_end=_local(callback.slot_end),
        phone=mask_phone(callback.phone),
        note=callback.note,
        inquiry_id=callback.inquiry_id,
        inquiry_number=inquiry_number,
        created_at=_local(callback.created_at) or callback.created_at,
        can_cancel=still_booked,
        can_reschedule=upcoming,
    )


async def customer_callbacks(session: AsyncSession, customer_id: int) -> list[CallbackPublic]:
    """Newest first; missed-call tasks are the center's to-do, not the customer's bookings."""
    rows = await session.execute(
        _with_references()
        .where(Callback.customer_id == customer_id, Callback.kind == CallbackKind.BOOKED.value)
        .order_by(Callback.created_at.desc(), Callback.id.desc())
        .limit(MAX_LISTED)
    )
    now = utcnow()
    return [callback_public(callback, category, number, now) for callback, category, number in rows]


async def customer_callback(session: AsyncSession, customer_id: int, callback_id: int) -> CallbackPublic:
    row = (
        await session.execute(
            _with_references().where(
                Callback.id == callback_id,
                Callback.customer_id == customer_id,
                Callback.kind == CallbackKind.BOOKED.value,
            )
        )
    ).first()
    if row is None:
        raise not_found("예약")
    callback, category, number = row
    return callback_public(callback, category, number)


async def callbacks_of_inquiry(session: AsyncSession, inquiry_id: int) -> list[CallbackPublic]:
    """Shown on the inquiry's page in 문의 내역: the customer's bookings, not the center's call-back tasks."""
    rows = await session.execute(
        _with_references()
        .where(Callback.inquiry_id == inquiry_id, Callback.kind == CallbackKind.BOOKED.value)
        .order_by(Callback.id)
    )
    now = utcnow()
    return [callback_public(callback, category, number, now) for callback, category, number in rows]
