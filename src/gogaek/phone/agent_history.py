"""The customer around a callback, as phone agents see it: masked until a passing identity check.

Until a passing identity check is recorded for a callback, what is shown about its customer is
masked: the family name only, the e-mail's first letter, other phone numbers, transaction
references, and numbers in free text (``mask_pii``). The number to dial stays whole.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gogaek.chat.models import Conversation
from gogaek.chat.queries import chat_history, recent_inquiries
from gogaek.identity.models import Customer
from gogaek.inquiries.agent_schemas import InquiryRef
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.korean.pii import mask_pii
from gogaek.phone.agent_schemas import CallbackRef, ChatRef, CustomerCard, CustomerHistory, HistoryCounts
from gogaek.phone.models import Callback
from gogaek.phone.numbers import format_phone, mask_phone
from gogaek.phone.timeline import CALLBACK_STATUS_LABELS

HISTORY_LIMIT = 10


def family_name(name: str | None) -> str | None:
    """김고객 → 김**: enough to greet the caller, not enough to confirm who they are."""
    return f"{name[0]}{'*' * (len(name) - 1)}" if name else name


def mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_reference(ref: str | None) -> str | None:
    """A transaction reference with only its last four characters."""
    if not ref:
        return ref
    return f"{'*' * max(len(ref) - 4, 0)}{ref[-4:]}" if len(ref) > 4 else "*" * len(ref)


def shown(text: str, confirmed: bool) -> str:
    return text if confirmed else mask_pii(text).text


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def customer_card(customer: Customer, dial: str, confirmed: bool) -> CustomerCard:
    registered = _digits(customer.phone)
    if not registered:
        phone = None
    elif registered == dial or confirmed:
        phone = format_phone(registered)
    else:
        phone = mask_phone(registered)
    return CustomerCard(
        id=customer.id,
        name=customer.name if confirmed else family_name(customer.name),
        email=customer.email if confirmed else mask_email(customer.email),
        phone=phone,
        source=customer.source,
        masked=not confirmed,
    )


# --- history -----------------------------------------------------------------------


async def _counts_by_customer(
    session: AsyncSession, column: InstrumentedAttribute[Any], customer_ids: list[int]
) -> dict[int, int]:
    rows = await session.execute(select(column, func.count()).where(column.in_(customer_ids)).group_by(column))
    return {customer_id: int(count) for customer_id, count in rows}


async def history_counts(session: AsyncSession, customer_ids: Collection[int]) -> dict[int, HistoryCounts]:
    """Per customer: inquiries, chats and callbacks, in three grouped queries for a whole page."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    inquiries = await _counts_by_customer(session, Inquiry.customer_id, ids)
    chats = await _counts_by_customer(session, Conversation.customer_id, ids)
    callbacks = await _counts_by_customer(session, Callback.customer_id, ids)
    return {
        customer_id: HistoryCounts(
            inquiries=inquiries.get(customer_id, 0),
            chats=chats.get(customer_id, 0),
            callbacks=callbacks.get(customer_id, 0),
        )
        for customer_id in ids
    }


def others_counts(counts: HistoryCounts | None, callback: Callback) -> HistoryCounts | None:
    """The customer's counts without this callback and its own inquiry."""
    if counts is None:
        return None
    own_inquiry = 1 if callback.inquiry_id is not None else 0
    return HistoryCounts(
        inquiries=max(counts.inquiries - own_inquiry, 0), chats=counts.chats, callbacks=max(counts.callbacks - 1, 0)
    )


async def customer_history(
    session: AsyncSession, customer_id: int, callback: Callback, confirmed: bool
) -> CustomerHistory:
    """The customer's other inquiries, chats and earlier callbacks: what they already told us."""
    inquiries = [
        InquiryRef(
            id=row.id,
            number=row.number or "",
            title=shown(row.title, confirmed),
            status=Status(row.status),
            status_label=STATUS_LABELS[Status(row.status)],
            created_at=row.created_at,
        )
        for row in await recent_inquiries(session, customer_id, limit=HISTORY_LIMIT + 1)
        if row.id != callback.inquiry_id
    ][:HISTORY_LIMIT]
    chats = [
        ChatRef(
            id=row.conversation.id,
            status=row.conversation.status,
            preview=shown(row.preview, confirmed),
            created_at=row.conversation.created_at,
        )
        for row in await chat_history(session, customer_id, limit=HISTORY_LIMIT)
    ]
    earlier = await session.scalars(
        select(Callback)
        .where(Callback.customer_id == customer_id, Callback.id != callback.id)
        .order_by(Callback.created_at.desc(), Callback.id.desc())
        .limit(HISTORY_LIMIT)
    )
    callbacks = [
        CallbackRef(
            id=row.id,
            number=row.number or "",
            status=row.status,
            status_label=CALLBACK_STATUS_LABELS.get(row.status, row.status),
            slot_start=row.slot_start,
            outcome_note=shown(row.outcome_note, confirmed),
            created_at=row.created_at,
        )
        for row in earlier
    ]
    return CustomerHistory(inquiries=inquiries, chats=chats, callbacks=callbacks)
