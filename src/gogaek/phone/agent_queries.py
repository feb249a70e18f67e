"""Reads for the phone agents' console: the callback board and one callback with the customer around it.

What is shown about the customer is masked until a passing identity check for that very
callback (see ``agent_history``); the number to dial never is.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gogaek.calendar.hours import SEOUL
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser
from gogaek.identity.schemas import StaffRef
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.phone.agent_history import (
    customer_card,
    customer_history,
    family_name,
    history_counts,
    mask_reference,
    others_counts,
    shown,
)
from gogaek.phone.agent_schemas import (
    CallbackCategory,
    CallbackDetail,
    CallbackInquiry,
    CallbackSummary,
    CustomerHistory,
    Group,
    HistoryCounts,
    IdentityCheckPublic,
)
from gogaek.phone.checklist import active_questions
from gogaek.phone.models import ACTIVE_CALLBACK_STATUSES, Callback, CallbackKind, CallbackStatus, IdentityCheck
from gogaek.phone.numbers import format_phone
from gogaek.phone.timeline import CALLBACK_STATUS_LABELS
from gogaek.web.i18n import N_, gettext

BOARD_LIMIT = 500

GROUP_LABELS: dict[Group, str] = {
    "overdue": N_("기한 초과"),
    "in_progress": N_("통화 중"),
    "missed_call": N_("부재중 전화 (다시 걸기)"),
    "retry": N_("재시도"),
    "slot": N_("예약"),
    "finished": N_("종료"),
}
GROUP_ORDER: tuple[Group, ...] = ("overdue", "in_progress", "missed_call", "retry", "slot", "finished")
VERIFIED_BY_LABELS = {"host_token": N_("앱 로그인 본인인증"), "sms_code": N_("휴대폰 인증번호")}


# --- the board -----------------------------------------------------------------------


def seoul_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=SEOUL)
    return start, start + timedelta(days=1)


def parse_status_filter(status: str | None) -> list[str]:
    if not status:
        return list(ACTIVE_CALLBACK_STATUSES)
    if status not in CALLBACK_STATUS_LABELS:
        raise ProblemError(422, "unknown_status", gettext("알 수 없는 상태입니다: %(status)s") % {"status": status})
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


def _counts_of(counts: dict[int, HistoryCounts], callback: Callback) -> HistoryCounts | None:
    return counts.get(callback.customer_id) if callback.customer_id is not None else None


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
    counts: HistoryCounts | None,
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
        history_counts=others_counts(counts, callback),
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
    counts = await history_counts(session, [row[0].customer_id for row in rows if row[0].customer_id is not None])
    items = [
        _summary(callback, category, name, claimer, number, callback.id in confirmed, _counts_of(counts, callback))
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


async def identity_confirmed(session: AsyncSession, callback_id: int) -> bool:
    return bool(await _confirmed_ids(session, [callback_id]))


async def callback_detail(session: AsyncSession, callback_id: int) -> CallbackDetail:
    """Everything the callback's screen shows, the identity check first."""
    row = (await session.execute(_board_query(Callback.id == callback_id))).first()
    if row is None:
        raise not_found("상담 예약")
    callback, category, name, claimer, number = row
    confirmed = await identity_confirmed(session, callback.id)
    counts = await history_counts(session, [callback.customer_id] if callback.customer_id is not None else [])
    summary = _summary(callback, category, name, claimer, number, confirmed, _counts_of(counts, callback))
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
        customer=customer_card(customer, callback.phone, confirmed) if customer is not None else None,
        inquiry=_inquiry(inquiry, confirmed) if inquiry is not None else None,
        history=await customer_history(session, customer.id, callback, confirmed) if customer is not None else empty,
    )
