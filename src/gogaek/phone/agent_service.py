"""What phone agents do with a callback: claim it, check who is on the line, record how the call went.

Every verb is one transaction. Claiming and every later change are conditional UPDATEs on the
status (and the claimant) that was read, so two agents can never both get a callback and an
outcome is recorded once even when two tabs send it. Events leave with the commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from fastapi import Request
from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import StaffRole, StaffUser
from gogaek.inquiries.agent_verbs import reply_as_agent
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.service import add_timeline_event, change_status
from gogaek.inquiries.workflow import Actor, Status
from gogaek.korean.pii import mask_pii
from gogaek.phone.agent_queries import get_callback
from gogaek.phone.agent_schemas import IdentityCheckCreate, OutcomeCreate
from gogaek.phone.booking import reschedule_callback
from gogaek.phone.checklist import active_questions
from gogaek.phone.event_data import callback_event_data
from gogaek.phone.models import Callback, CallbackStatus, IdentityCheck
from gogaek.web.i18n import N_, gettext

CLAIMABLE = (CallbackStatus.BOOKED.value, CallbackStatus.RETRY.value)
RELEASERS = frozenset({StaffRole.SUPERVISOR.value, StaffRole.ADMIN.value})


def callback_taken() -> ProblemError:
    return ProblemError(409, "callback_taken", N_("다른 상담사가 이미 맡은 예약입니다."))


def callback_not_claimed() -> ProblemError:
    return ProblemError(
        409,
        "callback_not_claimed",
        N_("먼저 이 예약을 맡아 주세요. 맡은 상담사만 결과를 기록할 수 있습니다."),
    )


def _not_open() -> ProblemError:
    return ProblemError(409, "callback_not_open", N_("이미 끝났거나 취소된 예약입니다."))


def _audit(
    session: AsyncSession, agent: StaffUser, action: str, callback: Callback, request: Request | None, **detail: Any
) -> None:
    record_audit(
        session,
        agent,
        action,
        target_type="callback",
        target_id=callback.id,
        detail={"number": callback.number, **detail},
        request=request,
    )


async def _conditional_update(
    session: AsyncSession, callback_id: int, where: list[Any], values: dict[str, Any]
) -> Callback | None:
    """The UPDATE only where the row is still as it was read; the fresh row, or None when it was not."""
    result = await session.execute(
        update(Callback)
        .where(Callback.id == callback_id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], result).rowcount:
        return None
    return await session.get(Callback, callback_id, populate_existing=True)


# --- claim and release ---------------------------------------------------------------


async def claim_callback(
    session: AsyncSession, agent: StaffUser, callback_id: int, request: Request | None = None
) -> Callback:
    """Booked or retry → in progress for this agent; the loser of a race gets 409 ``callback_taken``."""
    now = utcnow()
    claimed = await _conditional_update(
        session,
        callback_id,
        [Callback.status.in_(CLAIMABLE)],
        {"status": CallbackStatus.IN_PROGRESS.value, "claimed_by_id": agent.id, "claimed_at": now, "updated_at": now},
    )
    if claimed is None:
        current = await get_callback(session, callback_id)
        if current.status != CallbackStatus.IN_PROGRESS:
            raise _not_open()
        if current.claimed_by_id != agent.id:
            raise callback_taken()
        return current  # the same agent clicked twice: nothing changes
    _audit(session, agent, "callback.claim", claimed, request)
    await session.commit()
    return claimed


async def release_callback(
    session: AsyncSession, staff: StaffUser, callback_id: int, request: Request | None = None
) -> Callback:
    """Back to the board (booked, or retry after an unanswered call), by its agent or a supervisor."""
    callback = await get_callback(session, callback_id)
    if callback.status != CallbackStatus.IN_PROGRESS:
        raise callback_not_claimed()
    if callback.claimed_by_id != staff.id and staff.role not in RELEASERS:
        raise ProblemError(
            403,
            "not_your_callback",
            N_("맡은 상담사나 관리자만 놓을 수 있습니다."),
        )
    holder = callback.claimed_by_id
    back = CallbackStatus.RETRY if callback.attempts > 0 else CallbackStatus.BOOKED
    released = await _conditional_update(
        session,
        callback_id,
        [Callback.status == CallbackStatus.IN_PROGRESS.value, Callback.claimed_by_id == holder],
        {"status": back.value, "claimed_by_id": None, "claimed_at": None, "updated_at": utcnow()},
    )
    if released is None:
        await session.rollback()
        raise callback_not_claimed()
    _audit(session, staff, "callback.release", released, request, held_by=holder)
    await session.commit()
    return released


def _require_claimant(callback: Callback, agent: StaffUser) -> None:
    if callback.status == CallbackStatus.IN_PROGRESS and callback.claimed_by_id == agent.id:
        return
    if callback.status == CallbackStatus.IN_PROGRESS:
        raise callback_taken()
    raise callback_not_claimed() if callback.status in CLAIMABLE else _not_open()


# --- identity check ------------------------------------------------------------------


async def record_identity_check(
    session: AsyncSession, agent: StaffUser, callback_id: int, data: IdentityCheckCreate, request: Request | None = None
) -> IdentityCheck:
    """The result of the checklist; a passing one unmasks the customer on this callback's screen."""
    callback = await get_callback(session, callback_id)
    _require_claimant(callback, agent)
    if callback.customer_id is None:
        raise ProblemError(409, "no_customer", N_("고객 정보가 없는 전화라 본인 확인을 기록할 수 없습니다."))
    questions = await active_questions(session)
    unknown = sorted(set(data.checked) - set(questions))
    if unknown:
        raise ProblemError(
            422,
            "unknown_question",
            gettext("확인 질문 목록에 없는 항목입니다: %(questions)s") % {"questions": ", ".join(unknown)},
        )
    if data.passed and not data.checked:
        raise ProblemError(422, "nothing_checked", N_("확인한 질문을 하나 이상 골라 주세요."))
    check = IdentityCheck(
        customer_id=callback.customer_id,
        callback_id=callback.id,
        staff_id=agent.id,
        passed=data.passed,
        answers={question: question in data.checked for question in questions},
        note=mask_pii(data.note).text,
    )
    session.add(check)
    await session.flush()
    _audit(
        session,
        agent,
        "callback.identity_check",
        callback,
        request,
        check_id=check.id,
        passed=data.passed,
        checked=list(data.checked),
    )
    await session.commit()
    return check


# --- outcomes ------------------------------------------------------------------------


async def record_outcome(
    session: AsyncSession,
    agent: StaffUser,
    callback_id: int,
    data: OutcomeCreate,
    settings: Settings,
    request: Request | None = None,
) -> Callback:
    """통화 완료, 부재중 or 재예약; the callback's inquiry gets the note and a timeline entry."""
    callback = await get_callback(session, callback_id)
    _require_claimant(callback, agent)
    inquiry = await session.get(Inquiry, callback.inquiry_id) if callback.inquiry_id is not None else None
    try:
        if data.outcome == "completed":
            result = await _complete(session, agent, callback, inquiry, data, settings, request)
        elif data.outcome == "no_answer":
            result = await _no_answer(session, agent, callback, inquiry, data, settings, request)
        else:
            result = await _reschedule(session, agent, callback, inquiry, data, settings, request)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return result


async def _finish_claim(session: AsyncSession, callback: Callback, agent: StaffUser, **values: Any) -> Callback:
    """The outcome lands only while this agent still holds the callback (a second tab gets 409)."""
    changed = await _conditional_update(
        session,
        callback.id,
        [Callback.status == CallbackStatus.IN_PROGRESS.value, Callback.claimed_by_id == agent.id],
        {"updated_at": utcnow(), **values},
    )
    if changed is None:
        raise callback_not_claimed()
    return changed


async def _note(
    session: AsyncSession,
    agent: StaffUser,
    inquiry: Inquiry | None,
    note: str,
    *,
    public: bool,
    settings: Settings,
    request: Request | None,
) -> None:
    if inquiry is not None and note:
        await reply_as_agent(
            session, agent, inquiry, note, internal=not public, settings=settings, request=request, commit=False
        )


def _timeline(
    session: AsyncSession, inquiry: Inquiry | None, kind: str, callback: Callback, agent: StaffUser, **data: Any
) -> None:
    if inquiry is not None:
        add_timeline_event(
            session, inquiry, kind, Actor.AGENT, {"callback_id": callback.id, "number": callback.number, **data}, agent
        )


async def _complete(
    session: AsyncSession,
    agent: StaffUser,
    callback: Callback,
    inquiry: Inquiry | None,
    data: OutcomeCreate,
    settings: Settings,
    request: Request | None,
) -> Callback:
    now = utcnow()
    done = await _finish_claim(
        session,
        callback,
        agent,
        status=CallbackStatus.COMPLETED.value,
        finished_at=now,
        outcome_note=mask_pii(data.note).text,
    )
    await _note(session, agent, inquiry, data.note, public=data.visible_to_customer, settings=settings, request=request)
    _timeline(session, inquiry, "callback_completed", done, agent, resolved=data.resolve)
    if inquiry is not None and data.resolve and inquiry.status != Status.RESOLVED:
        await change_status(session, inquiry, Status.RESOLVED, Actor.AGENT, settings, staff=agent)
    await events.emit(session, events.CALLBACK_COMPLETED, callback_event_data(done, staff_id=agent.id))
    _audit(
        session,
        agent,
        "callback.completed",
        done,
        request,
        resolved=data.resolve,
        public_note=bool(data.note) and data.visible_to_customer,
    )
    return done


async def _no_answer(
    session: AsyncSession,
    agent: StaffUser,
    callback: Callback,
    inquiry: Inquiry | None,
    data: OutcomeCreate,
    settings: Settings,
    request: Request | None,
) -> Callback:
    """A retry after ``callback_retry_minutes`` while retries remain; then 부재중 and the missed-you SMS."""
    now = utcnow()
    attempts = callback.attempts + 1
    await _note(session, agent, inquiry, data.note, public=False, settings=settings, request=request)
    if attempts <= settings.callback_retry_count:
        retry_at = now + timedelta(minutes=settings.callback_retry_minutes)
        waiting = await _finish_claim(
            session,
            callback,
            agent,
            status=CallbackStatus.RETRY.value,
            attempts=attempts,
            due_at=retry_at,
            claimed_by_id=None,
            claimed_at=None,
            overdue_flagged_at=None,  # the retry may be flagged once again
        )
        _timeline(
            session, inquiry, "callback_no_answer", waiting, agent, attempt=attempts, retry_at=retry_at.isoformat()
        )
        _audit(session, agent, "callback.no_answer", waiting, request, attempt=attempts)
        return waiting
    missed = await _finish_claim(
        session,
        callback,
        agent,
        status=CallbackStatus.MISSED.value,
        attempts=attempts,
        finished_at=now,
        outcome_note=mask_pii(data.note).text,
    )
    _timeline(session, inquiry, "callback_missed", missed, agent, attempts=attempts)
    await events.emit(session, events.CALLBACK_MISSED, callback_event_data(missed, staff_id=agent.id))
    _audit(session, agent, "callback.missed", missed, request, attempts=attempts)
    return missed


async def _reschedule(
    session: AsyncSession,
    agent: StaffUser,
    callback: Callback,
    inquiry: Inquiry | None,
    data: OutcomeCreate,
    settings: Settings,
    request: Request | None,
) -> Callback:
    """The customer asked for another time: the booking moves to the new slot, back on the board.

    ``reschedule_callback`` writes the timeline entry and the event, and commits the note and the
    audit entry with the move (or rolls all of it back on 409 ``slot_full`` / 422 ``slot_unavailable``).
    """
    assert data.slot_start is not None  # OutcomeCreate requires it for this outcome
    await _note(session, agent, inquiry, data.note, public=False, settings=settings, request=request)
    _audit(session, agent, "callback.rescheduled", callback, request, slot_start=data.slot_start.isoformat())
    return await reschedule_callback(session, callback, data.slot_start, settings, staff=agent)
