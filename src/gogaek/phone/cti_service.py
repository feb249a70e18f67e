"""What a phone-system push changes: the call log, a missed call's callback task, the screen-pop.

Each (callId, event) is applied once: ``cti_events`` has a unique row per pair, written in the
same transaction as the change, so a PBX that repeats a push (or two processes racing on the
same push) changes nothing the second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.service import record_audit
from gogaek.errors import ProblemError, not_found
from gogaek.identity.models import StaffUser
from gogaek.phone.cti import CtiEventKind, CtiPush, caller_phone, new_secret, token_hash
from gogaek.phone.cti_screen_pop import PopKind, caller_number, match_customers, staff_for_push
from gogaek.phone.event_data import callback_event_data
from gogaek.phone.models import Callback, CallbackKind, CallbackStatus, CallLog, CtiEvent, CtiSignatureNonce, CtiToken
from gogaek.phone.numbers import callback_number
from gogaek.web.i18n import N_

NOT_MISSED_CAUSES = frozenset({"forwarded"})  # the call went on to another party, nobody dropped it


def missed_call(call: CallLog) -> bool:
    """Inbound, ended before anyone answered, and not handed on to another party."""
    return (
        call.direction == "in"
        and call.state == "ended"
        and call.answered_at is None
        and call.cause not in NOT_MISSED_CAUSES
    )


@dataclass(slots=True)
class PushResult:
    """What the route answers and whom it tells: agents to screen-pop once the change is committed."""

    call: CallLog | None
    duplicate: bool = False
    pop_kind: PopKind | None = None
    pop_staff_ids: list[int] = field(default_factory=list)


# --- tokens ----------------------------------------------------------------------------------


async def token_for_push(session: AsyncSession, token: str) -> CtiToken:
    """The token named in the URL; unknown and revoked ones look the same (404), so a guess learns nothing."""
    row = await session.scalar(select(CtiToken).where(CtiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        raise not_found("전화 시스템 연동 주소")
    return row


async def create_token(
    session: AsyncSession, admin: StaffUser, name: str, *, signed: bool, request: Request | None = None
) -> tuple[CtiToken, str]:
    """A new push URL token (and, if ``signed``, an HMAC secret); only the token's hash is kept."""
    token = new_secret()
    row = CtiToken(
        name=name, token_hash=token_hash(token), signing_secret=new_secret() if signed else None, created_by_id=admin.id
    )
    session.add(row)
    await session.flush()
    record_audit(
        session, admin, "cti_token.create", target_type="cti_token", target_id=row.id,
        detail={"name": name, "signed": signed}, request=request,
    )  # fmt: skip
    await session.commit()
    return row, token


async def list_tokens(session: AsyncSession) -> list[CtiToken]:
    return list((await session.scalars(select(CtiToken).order_by(CtiToken.id))).all())


async def revoke_token(session: AsyncSession, admin: StaffUser, token_id: int, request: Request | None = None) -> None:
    """Pushes with the token are refused from now on; revoking twice changes nothing."""
    row = await session.get(CtiToken, token_id)
    if row is None:
        raise not_found("전화 시스템 연동 토큰")
    if row.revoked_at is not None:
        return
    row.revoked_at = datetime.now(UTC)
    record_audit(session, admin, "cti_token.revoke", target_type="cti_token", target_id=row.id, request=request)
    await session.commit()


async def remember_signature(session: AsyncSession, digest: str, timestamp: int, max_age: int, now: datetime) -> None:
    """Refuses a signature seen before (a captured push sent again), in its own transaction.

    A signature is kept until it would be refused as stale anyway, then forgotten.
    """
    await session.execute(delete(CtiSignatureNonce).where(CtiSignatureNonce.expires_at < now))
    expires = datetime.fromtimestamp(timestamp, UTC) + timedelta(seconds=max_age)
    session.add(CtiSignatureNonce(signature=digest, expires_at=expires))
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ProblemError(
            409, "signature_replayed", N_("이미 받은 서명입니다. 같은 요청은 다시 받지 않습니다.")
        ) from exc


# --- the events ------------------------------------------------------------------------------


async def record_push(session: AsyncSession, token: CtiToken, push: CtiPush, now: datetime) -> PushResult:
    """Applies one push and commits; a repeated (callId, event) answers ``duplicate`` and changes nothing.

    The (callId, event) row is written first: a repeat fails on its unique key, and on SQLite the
    write lock is taken before the call is read. The call's row is then locked (PostgreSQL), so an
    answer and a hangup racing on two processes are applied one after the other: a call answered
    at the last moment is never also "missed".
    """
    session.add(CtiEvent(call_id=push.call_id, event=push.event.value, token_id=token.id, payload=push.payload()))
    try:
        await session.flush()
        if push.event is CtiEventKind.NEW_CALL:  # a call_logs row already there fails on its unique key
            result = await _new_call(session, push, now)
        else:
            call = await session.scalar(select(CallLog).where(CallLog.call_id == push.call_id).with_for_update())
            if call is None:
                raise _unknown_call()
            apply = _answer if push.event is CtiEventKind.ANSWER else _hangup
            result = await apply(session, call, push, now)
        token.last_used_at = now
        await session.commit()
    except IntegrityError:  # the same push came before, or raced us on another connection and won
        await session.rollback()
        return PushResult(None, duplicate=True)
    return result


async def _new_call(session: AsyncSession, push: CtiPush, now: datetime) -> PushResult:
    assert push.direction is not None  # parse_push requires it for newCall
    call = CallLog(
        call_id=push.call_id,
        direction=push.direction,
        from_number=push.from_number,
        to_number=push.to_number,
        queue=push.queue,
        user_names=list(push.users),
        started_at=now,
    )
    matches = await match_customers(session, caller_number(call))
    call.customer_matches = len(matches)  # 2 stands for "two or more"
    call.customer_id = matches[0] if len(matches) == 1 else None
    session.add(call)
    await session.flush()
    if call.direction != "in":
        return PushResult(call)
    ringing = await staff_for_push(session, push)
    return PushResult(call, pop_kind="call_ringing", pop_staff_ids=[s.id for s in ringing])


def _unknown_call() -> ProblemError:
    return ProblemError(409, "unknown_call", N_("newCall을 받지 못한 callId입니다."))


def _call_ended() -> ProblemError:
    return ProblemError(409, "call_ended", N_("이미 끝난 통화입니다."))


async def _answer(session: AsyncSession, call: CallLog, push: CtiPush, now: datetime) -> PushResult:
    if call.state == "ended":
        raise _call_ended()
    answering = await staff_for_push(session, push)
    call.state = "answered"
    call.answered_at = now
    call.answering_number = push.answering_number or call.answering_number
    call.user_names = list(push.users) or call.user_names
    if answering:
        call.agent_id = answering[0].id
    return PushResult(call, pop_kind="call_answered", pop_staff_ids=[s.id for s in answering])


async def _hangup(session: AsyncSession, call: CallLog, push: CtiPush, now: datetime) -> PushResult:
    call.state = "ended"
    call.ended_at = now
    call.cause = push.cause
    call.answering_number = call.answering_number or push.answering_number
    if missed_call(call) and call.callback_id is None:
        await _callback_task(session, call, now)
    return PushResult(call)


async def _callback_task(session: AsyncSession, call: CallLog, now: datetime) -> None:
    """A missed inbound call becomes a callback due now (no slot, no capacity), unless the caller hid
    their number: there is nobody to ring back then."""
    raw = caller_number(call)
    phone = caller_phone(raw) or re.sub(r"\D", "", raw)[:30]
    if not phone:
        return
    task = Callback(
        kind=CallbackKind.MISSED_CALL.value,
        status=CallbackStatus.BOOKED.value,
        customer_id=call.customer_id,
        phone=phone,
        slot_start=None,
        due_at=now,
        call_id=call.call_id,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    await session.flush()
    task.number = callback_number(task)
    call.callback_id = task.id
    await events.emit(session, events.CALL_MISSED, callback_event_data(task, call_id=call.call_id, call_log_id=call.id))
