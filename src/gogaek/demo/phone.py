"""Demo phone work: the roster, callbacks in every state, the restriction review team, and calls.

Built through the same verbs as the app (book, claim, outcome, CTI pushes), so the console
and 문의 내역 show real timelines, events and masked text.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser, Team, TeamCategory, TeamMember
from gogaek.inquiries.models import SlaPolicy
from gogaek.phone import agent_service, booking
from gogaek.phone.agent_schemas import OutcomeCreate
from gogaek.phone.cti import parse_push, token_hash
from gogaek.phone.cti_service import record_push
from gogaek.phone.models import CallbackRosterEntry, CtiToken
from gogaek.phone.schemas import CallbackCreate
from gogaek.phone.slot_views import remaining_by_slot

DEFAULT_CAPACITY = 3
# Restrictions are reviewed within 3 business days; the first answer comes the same day.
APPEAL_FIRST_RESPONSE_HOURS = 4
APPEAL_RESOLUTION_HOURS = 27


@dataclass(frozen=True, slots=True)
class DemoPhone:
    callbacks: int
    calls: int
    cti_token: str  # shown once at start-up so a phone system (or curl) can push to the demo


async def add_restriction_team(session: AsyncSession, categories: dict[str, Category], reviewer: StaffUser) -> None:
    """Appeals (이용 제한 해명) go to their own team with their own SLA policy."""
    team = Team(slug="restriction-review", name="이용제한 심사팀")
    session.add(team)
    await session.flush()
    restrictions = categories["restrictions"].id
    session.add_all(
        [
            TeamCategory(team_id=team.id, category_id=restrictions),
            TeamMember(team_id=team.id, staff_id=reviewer.id),
            SlaPolicy(
                category_id=restrictions,
                first_response_hours=APPEAL_FIRST_RESPONSE_HOURS,
                resolution_hours=APPEAL_RESOLUTION_HOURS,
            ),
        ]
    )
    await session.commit()


async def load_demo_phone(
    session: AsyncSession, settings: Settings, customers: list[Customer], agents: list[StaffUser]
) -> DemoPhone:
    session.add_all(
        [
            CallbackRosterEntry(weekday=None, capacity=DEFAULT_CAPACITY),
            CallbackRosterEntry(weekday=4, starts=time(13), ends=None, capacity=2),  # Friday afternoons
        ]
    )
    await session.commit()
    callbacks = await _callbacks(session, settings, customers, agents[0])
    token = secrets.token_urlsafe(24)
    calls = await _calls(session, token, agents[0])
    return DemoPhone(callbacks=callbacks, calls=calls, cti_token=token)


async def _book(
    session: AsyncSession, settings: Settings, customer: Customer, slot: str, category: str, note: str
) -> int:
    data = CallbackCreate(category=category, slot_start=slot, phone=customer.phone or "010-0000-0000", note=note)
    return (await booking.book_callback(session, customer, data, settings=settings)).callback.id


async def _callbacks(session: AsyncSession, settings: Settings, customers: list[Customer], agent: StaffUser) -> int:
    """예약됨, 통화 중, 다시 전화 예정, 통화 완료, 부재중 and 취소됨, one of each."""
    minji, junho = customers[0], customers[1]
    slots = [slot.start.isoformat() for slot, left in await remaining_by_slot(session, settings, 7) if left > 0]
    if len(slots) < 6:
        return 0
    booked = [
        await _book(session, settings, minji, slots[0], "payment", "결제 취소가 카드사에 아직 반영되지 않았어요"),
        await _book(session, settings, junho, slots[1], "transfer", "잘못 보낸 송금 돌려받고 싶어요"),
        await _book(session, settings, minji, slots[2], "charge", "자동충전이 두 번 됐어요"),
        await _book(session, settings, junho, slots[3], "points", "포인트 소멸 문의"),
        await _book(session, settings, customers[2], slots[4], "linked-accounts", "계좌 연결이 안 돼요"),
    ]
    talking, retry, done, missed, _ = booked
    await agent_service.claim_callback(session, agent, talking)
    await agent_service.claim_callback(session, agent, retry)
    await agent_service.record_outcome(session, agent, retry, OutcomeCreate(outcome="no_answer"), settings)
    await agent_service.claim_callback(session, agent, done)
    completed = OutcomeCreate(
        outcome="completed", note="중복 충전 1건 환불 처리했습니다.", visible_to_customer=True, resolve=True
    )
    await agent_service.record_outcome(session, agent, done, completed, settings)
    for _attempt in range(settings.callback_retry_count + 1):
        await agent_service.claim_callback(session, agent, missed)
        await agent_service.record_outcome(session, agent, missed, OutcomeCreate(outcome="no_answer"), settings)
    cancelled = await _book(session, settings, junho, slots[5], "payment", "영수증 재발급")
    await booking.cancel_callback(session, junho, cancelled, settings)
    return len(booked) + 1


async def _calls(session: AsyncSession, token: str, agent: StaffUser) -> int:
    """An answered inbound call, an outbound one, and a missed call that became a callback task."""
    pbx = CtiToken(name="데모 교환기 (demo PBX)", token_hash=token_hash(token))
    session.add(pbx)
    await session.commit()
    caller = "01023456789"  # 김민지's number; she signed in by host token, so it is not verified
    pushes: list[dict[str, Any]] = [
        {"event": "newCall", "callId": "demo-1", "direction": "in", "from": caller, "to": "15773754", "queue": "결제"},
        {"event": "answer", "callId": "demo-1", "answeringNumber": "201", "user[]": [agent.display_name]},
        {"event": "hangup", "callId": "demo-1", "cause": "normalClearing"},
        {"event": "newCall", "callId": "demo-2", "direction": "out", "from": "15773754", "to": caller},
        {"event": "answer", "callId": "demo-2", "user[]": [agent.display_name]},
        {"event": "hangup", "callId": "demo-2", "cause": "normalClearing"},
        {"event": "newCall", "callId": "demo-3", "direction": "in", "from": "01098765432", "to": "15773754"},
        {"event": "hangup", "callId": "demo-3", "cause": "cancel"},
    ]
    for fields in pushes:
        await record_push(session, pbx, parse_push(fields), utcnow())
    return 3
