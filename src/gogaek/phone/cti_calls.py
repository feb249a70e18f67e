"""The call log as agents read it, and call notes filed into the caller's inquiry."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.calendar.hours import SEOUL
from gogaek.config import Settings
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import Customer, StaffUser
from gogaek.identity.schemas import StaffRef
from gogaek.inquiries.agent_verbs import reply_as_agent
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.queue import get_inquiry
from gogaek.inquiries.service import find_category
from gogaek.korean.pii import mask_pii
from gogaek.phone.booking import open_phone_inquiry
from gogaek.phone.cti_schemas import CallLogPublic, CallNoteCreate
from gogaek.phone.cti_screen_pop import customer_card
from gogaek.phone.cti_service import NOT_MISSED_CAUSES, missed_call
from gogaek.phone.models import CallLog
from gogaek.web.i18n import N_


@dataclass(frozen=True, slots=True)
class CallFilter:
    direction: str | None = None
    state: str | None = None
    missed: bool | None = None
    customer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _missed() -> ColumnElement[bool]:
    """Inbound, ended, never answered, and not handed on elsewhere."""
    return and_(
        CallLog.direction == "in",
        CallLog.state == "ended",
        CallLog.answered_at.is_(None),
        or_(CallLog.cause.is_(None), CallLog.cause.not_in(NOT_MISSED_CAUSES)),
    )


async def list_calls(session: AsyncSession, where: CallFilter, *, limit: int, before_id: int | None) -> list[CallLog]:
    """Newest first, paged by id (``before_id``: the last id of the previous page)."""
    query = select(CallLog)
    for column, value in (
        (CallLog.direction, where.direction),
        (CallLog.state, where.state),
        (CallLog.customer_id, where.customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.missed is not None:
        query = query.where(_missed() if where.missed else not_(_missed()))
    if where.since is not None:
        query = query.where(CallLog.started_at >= where.since)
    if where.until is not None:
        query = query.where(CallLog.started_at < where.until)
    if before_id is not None:
        query = query.where(CallLog.id < before_id)
    return list((await session.scalars(query.order_by(CallLog.id.desc()).limit(limit))).all())


async def get_call(session: AsyncSession, call_id: int) -> CallLog:
    call = await session.get(CallLog, call_id)
    if call is None:
        raise not_found("통화 기록")
    return call


async def calls_public(session: AsyncSession, calls: Sequence[CallLog]) -> list[CallLogPublic]:
    """Customers and agents are read once for the whole page."""
    customer_ids = {c.customer_id for c in calls if c.customer_id is not None}
    agent_ids = {c.agent_id for c in calls if c.agent_id is not None}
    customers = {c.id: c for c in (await session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))).all()}
    agents = {s.id: s for s in (await session.scalars(select(StaffUser).where(StaffUser.id.in_(agent_ids)))).all()}
    return [_public(c, customers.get(c.customer_id or 0), agents.get(c.agent_id or 0)) for c in calls]


def _public(call: CallLog, customer: Customer | None, agent: StaffUser | None) -> CallLogPublic:
    answered = call.answered_at
    return CallLogPublic(
        id=call.id,
        call_id=call.call_id,
        direction=call.direction,
        from_number=call.from_number,
        to=call.to_number,
        queue=call.queue,
        state=call.state,
        cause=call.cause,
        missed=missed_call(call),
        answering_number=call.answering_number,
        user_names=list(call.user_names or []),
        agent=StaffRef(id=agent.id, display_name=agent.display_name) if agent is not None else None,
        customer=customer_card(customer),
        customer_matches=call.customer_matches,
        callback_id=call.callback_id,
        inquiry_id=call.inquiry_id,
        notes=call.notes,
        started_at=call.started_at,
        answered_at=answered,
        ended_at=call.ended_at,
        answer_seconds=math.ceil((answered - call.started_at).total_seconds()) if answered is not None else None,
    )


async def file_note(
    session: AsyncSession,
    agent: StaffUser,
    call: CallLog,
    data: CallNoteCreate,
    settings: Settings,
    request: Request | None = None,
) -> tuple[Inquiry, bool]:
    """An internal note on the caller's inquiry (the one named, else the one this call already went
    to), or a new phone inquiry for a matched caller. Answers the inquiry and whether it is new."""
    target = data.inquiry_id or call.inquiry_id
    if target is not None:
        inquiry = await get_inquiry(session, target)
        if call.customer_id is not None and inquiry.customer_id != call.customer_id:
            raise ProblemError(
                422,
                "inquiry_not_of_caller",
                N_("이 통화의 고객이 남긴 문의가 아닙니다."),
            )
        _add_note(call, inquiry, data.body)
        await reply_as_agent(session, agent, inquiry, data.body, internal=True, settings=settings, request=request)
        return inquiry, False
    customer = await session.get(Customer, call.customer_id) if call.customer_id is not None else None
    if customer is None:
        raise ProblemError(
            409,
            "caller_unknown",
            N_("발신자가 한 명의 고객으로 확인되지 않았습니다. 메모를 남길 문의(inquiry_id)를 지정해 주세요."),
        )
    if data.category is None:
        raise ProblemError(
            422,
            "category_required",
            N_("새 전화 문의의 유형(category)을 지정해 주세요."),
            errors=[{"loc": ["body", "category"], "message": "required to open an inquiry"}],
        )
    category = await find_category(session, data.category)
    title = f"전화 상담 {call.started_at.astimezone(SEOUL):%m/%d %H:%M}"
    inquiry = await open_phone_inquiry(session, customer, category, title, data.body)
    _add_note(call, inquiry, data.body)
    record_audit(
        session, agent, "call.note", target_type="call", target_id=call.id,
        detail={"inquiry_id": inquiry.id, "created_inquiry": True}, request=request,
    )  # fmt: skip
    await session.commit()
    return inquiry, True


def _add_note(call: CallLog, inquiry: Inquiry, body: str) -> None:
    call.inquiry_id = inquiry.id
    masked = mask_pii(body).text  # as the inquiry note itself is stored
    call.notes = f"{call.notes}\n\n{masked}" if call.notes else masked
