"""Reads for the phone agents' console: the callback board and one callback with the customer around it.

Until a passing identity check is recorded for a callback, what is shown about its customer is
masked: the family name only, the e-mail's first letter, other phone numbers, transaction
references, and numbers in free text (``mask_pii``). The number to dial stays whole.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gogaek.calendar.hours import SEOUL
from gogaek.chat.queries import chat_history, recent_inquiries
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser
from gogaek.identity.schemas import StaffRef
from gogaek.inquiries.agent_schemas import InquiryRef
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.korean.pii import mask_pii
from gogaek.phone.agent_schemas import (
    CallbackCategory,
    CallbackDetail,
    CallbackInquiry,
    CallbackRef,
    CallbackSummary,
    ChatRef,
    CustomerCard,
    CustomerHistory,
    Group,
    IdentityCheckPublic,
)
from gogaek.phone.checklist import active_questions
from gogaek.phone.models import ACTIVE_CALLBACK_STATUSES, Callback, CallbackKind, CallbackStatus, IdentityCheck
from gogaek.phone.numbers import format_phone, mask_phone

BOARD_LIMIT = 500
HISTORY_LIMIT = 10

CALLBACK_STATUS_LABELS: dict[str, str] = {
    CallbackStatus.BOOKED: "예약됨",
    CallbackStatus.IN_PROGRESS: "통화 중",
    CallbackStatus.RETRY: "재시도 대기",
    CallbackStatus.COMPLETED: "통화 완료",
    CallbackStatus.MISSED: "부재중",
    CallbackStatus.CANCELLED: "취소됨",
}
GROUP_LABELS: dict[Group, str] = {
    "overdue": "기한 초과",
    "in_progress": "통화 중",
    "missed_call": "부재중 전화 (다시 걸기)",
    "retry": "재시도",
    "slot": "예약",
    "finished": "종료",
}
GROUP_ORDER: tuple[Group, ...] = ("overdue", "in_progress", "missed_call", "retry", "slot", "finished")
VERIFIED_BY_LABELS = {"host_token": "앱 로그인 본인인증", "sms_code": "휴대폰 인증번호"}


# --- masking -------------------------------------------------------------------------


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


# --- the board -----------------------------------------------------------------------


def seoul_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=SEOUL)
    return start, start + timedelta(days=1)


def parse_status_filter(status: str | None) -> list[str]:
    if not status:
        return list(ACTIVE_CALLBACK_STATUSES)
    if status not in CALLBACK_STATUS_LABELS:
        raise ProblemError(422, "unknown_status", f"알 수 없는 상태입니다: {status} (Unknown callback status)")
    return [status]


def board_group(callback: Callback) -> Group:
    if callback.status == CallbackStatus.IN_PROGRESS:
        return "in_progress"
    if callback.status not in ACTIVE_CALLBACK_STATUSES:
        return "finished"
    if callback.overdue_flagged_at is not None:
        return "overdue"
    if callback.kind == CallbackKind.MISSED_CALL:
        return "missed_call"
    return "retry" if callback.status == CallbackStatus.RETRY else "slot"


def _board_query(where: ColumnElement[bool]) -> Select[Callback, Category, str | None, StaffUser, str | None]:
    """Callbacks with their category, customer name, claimant and inquiry number, in one query."""
    claimer = aliased(StaffUser)
    return (
        select(Callback, Category, Customer.name, claimer, Inquiry.number)
        .outerjoin(Category, Category.id == Callback.category_id)
        .outerjoin(Customer, Customer.id == Callback.customer_id)
        .outerjoin(claimer, claimer.id == Callback.claimed_by_id)
        .outerjoin(Inquiry, Inquiry.id == Callback.inquiry_id)
        .where(where)
    )


async def _confirmed_ids(session: AsyncSession, callback_ids: Collection[int]) -> set[int]:
    """Callbacks with a passing identity check, in one query."""
    if not callback_ids:
        return set()
    rows = await session.scalars(
        select(IdentityCheck.callback_id).where(
            IdentityCheck.callback_id.in_(list(callback_ids)), IdentityCheck.passed.is_(True)
        )
    )
    return {row for row in rows if row is not None}


def _summary(
    callback: Callback,
    category: Category | None,
    customer_name: str | None,
    claimer: StaffUser | None,
    inquiry_number: str | None,
    confirmed: bool,
) -> CallbackSummary:
    group = board_group(callback)
    return CallbackSummary(
        id=callback.id,
        number=callback.number or "",
        kind=CallbackKind(callback.kind).value,
        status=callback.status,
        status_label=CALLBACK_STATUS_LABELS.get(callback.status, callback.status),
        group=group,
        group_label=GROUP_LABELS[group],
        category=(
            CallbackCategory(id=category.id, name=category.name, requires_verification=category.requires_verification)
            if category is not None
            else None
        ),
        customer_id=callback.customer_id,
        customer_name=customer_name if confirmed else family_name(customer_name),
        phone=format_phone(callback.phone),
        slot_start=callback.slot_start,
        slot_end=callback.slot_end,
        due_at=callback.due_at,
        attempts=callback.attempts,
        claimed_by=StaffRef(id=claimer.id, display_name=claimer.display_name) if claimer is not None else None,
        claimed_at=callback.claimed_at,
        overdue=group == "overdue",
        overdue_flagged_at=callback.overdue_flagged_at,
        verified_at=callback.verified_at,
        verified_by=callback.verified_by,
        inquiry_id=callback.inquiry_id,
        inquiry_number=inquiry_number,
    )


async def callback_board(
    session: AsyncSession, *, day: date | None = None, status: str | None = None
) -> list[CallbackSummary]:
    """Callbacks in board order. Without ``day``: every open one, whatever its date (leftovers are
    overdue work); with ``day``: those whose slot (or, for missed calls, due time) falls on that Seoul date."""
    conditions: list[ColumnElement[bool]] = [Callback.status.in_(parse_status_filter(status))]
    if day is not None:
        start, end = seoul_day_bounds(day)
        moment = func.coalesce(Callback.slot_start, Callback.due_at)
        conditions.append(and_(moment >= start, moment < end))
    finished_only = bool(status) and status not in ACTIVE_CALLBACK_STATUSES
    order = (Callback.due_at.desc(), Callback.id.desc()) if finished_only else (Callback.due_at, Callback.id)
    rows = (await session.execute(_board_query(and_(*conditions)).order_by(*order).limit(BOARD_LIMIT))).all()
    confirmed = await _confirmed_ids(session, [row[0].id for row in rows])
    items = [
        _summary(callback, category, name, claimer, number, callback.id in confirmed)
        for callback, category, name, claimer, number in rows
    ]
    if finished_only:
        return items
    return sorted(items, key=lambda item: (GROUP_ORDER.index(item.group), item.due_at, item.id))


# --- one callback --------------------------------------------------------------------


async def get_callback(session: AsyncSession, callback_id: int) -> Callback:
    callback = await session.get(Callback, callback_id)
    if callback is None:
        raise not_found("상담 예약")
    return callback


def identity_check_public(check: IdentityCheck, staff: StaffUser | None) -> IdentityCheckPublic:
    return IdentityCheckPublic(
        id=check.id,
        callback_id=check.callback_id,
        passed=check.passed,
        answers={str(question): bool(checked) for question, checked in (check.answers or {}).items()},
        note=check.note,
        staff=StaffRef(id=staff.id, display_name=staff.display_name) if staff is not None else None,
        created_at=check.created_at,
    )


async def latest_identity_check(session: AsyncSession, customer_id: int) -> IdentityCheckPublic | None:
    row = (
        await session.execute(
            select(IdentityCheck, StaffUser)
            .outerjoin(StaffUser, StaffUser.id == IdentityCheck.staff_id)
            .where(IdentityCheck.customer_id == customer_id)
            .order_by(IdentityCheck.created_at.desc(), IdentityCheck.id.desc())
            .limit(1)
        )
    ).first()
    return identity_check_public(*row) if row is not None else None


def _customer_card(customer: Customer, dial: str, confirmed: bool) -> CustomerCard:
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


def _inquiry(inquiry: Inquiry, confirmed: bool) -> CallbackInquiry:
    status = Status(inquiry.status)
    return CallbackInquiry(
        id=inquiry.id,
        number=inquiry.number or "",
        title=shown(inquiry.title, confirmed),
        body=shown(inquiry.body, confirmed),
        status=status,
        status_label=STATUS_LABELS[status],
        transaction_ref=inquiry.transaction_ref if confirmed else mask_reference(inquiry.transaction_ref),
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


async def identity_confirmed(session: AsyncSession, callback_id: int) -> bool:
    return bool(await _confirmed_ids(session, [callback_id]))


async def callback_detail(session: AsyncSession, callback_id: int) -> CallbackDetail:
    """Everything the callback's screen shows, the identity check first."""
    row = (await session.execute(_board_query(Callback.id == callback_id))).first()
    if row is None:
        raise not_found("상담 예약")
    callback, category, name, claimer, number = row
    confirmed = await identity_confirmed(session, callback.id)
    summary = _summary(callback, category, name, claimer, number, confirmed)
    customer = await session.get(Customer, callback.customer_id) if callback.customer_id is not None else None
    inquiry = await session.get(Inquiry, callback.inquiry_id) if callback.inquiry_id is not None else None
    empty = CustomerHistory(inquiries=[], chats=[], callbacks=[])
    return CallbackDetail(
        **summary.model_dump(),
        note=shown(callback.note, confirmed),
        outcome_note=shown(callback.outcome_note, confirmed),
        finished_at=callback.finished_at,
        identity_confirmed=confirmed,
        latest_check=await latest_identity_check(session, customer.id) if customer is not None else None,
        checklist=await active_questions(session),
        customer=_customer_card(customer, callback.phone, confirmed) if customer is not None else None,
        inquiry=_inquiry(inquiry, confirmed) if inquiry is not None else None,
        history=await customer_history(session, customer.id, callback, confirmed) if customer is not None else empty,
    )
