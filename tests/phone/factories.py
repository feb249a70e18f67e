"""Callbacks made straight through the ORM (with their phone inquiry), for the agent-side tests.

Booking rules (slots, capacity, verification) are the booking tests' business; these tests only
need callbacks in a given state at a given time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.events import EVENT_JOB
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.jobs.models import Job
from gogaek.phone.booking import open_phone_inquiry
from gogaek.phone.models import Callback, CallbackKind, CallbackStatus
from gogaek.phone.numbers import callback_number
from tests.api.test_agent_auth import make_customer, make_staff, sign_in

API = "/api/v1/agent/callbacks"


@dataclass
class Desk:
    customer: Customer
    category: Category
    agent: StaffUser
    headers: dict[str, str]
    colleague_headers: dict[str, str]
    supervisor_headers: dict[str, str]


@pytest.fixture
async def desk(client: httpx.AsyncClient, session: AsyncSession) -> Desk:
    agent = await make_staff(session, "agent@example.com", name="김상담")
    await make_staff(session, "colleague@example.com", name="이상담")
    await make_staff(session, "lead@example.com", name="박팀장", role=StaffRole.SUPERVISOR)
    return Desk(
        customer=await make_customer(session),
        category=await sensitive_category(session),
        agent=agent,
        headers=await sign_in(client, "agent@example.com"),
        colleague_headers=await sign_in(client, "colleague@example.com"),
        supervisor_headers=await sign_in(client, "lead@example.com"),
    )


async def post(client: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
    return await client.post(f"{API}/{path}", headers=headers, json=body)


async def claim(client: httpx.AsyncClient, desk: Desk, callback: Callback) -> dict[str, Any]:
    response = await post(client, f"{callback.id}/claim", desk.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


DIAL = "01098765432"  # the number given at booking; the customer's registered one is 010-1234-5678


async def sensitive_category(session: AsyncSession) -> Category:
    category = Category(slug="account-hacked", name="계정 도용·해킹", requires_verification=True)
    session.add(category)
    await session.commit()
    return category


async def make_callback(
    session: AsyncSession,
    customer: Customer,
    category: Category,
    *,
    slot_start: datetime | None = None,
    kind: CallbackKind = CallbackKind.BOOKED,
    status: CallbackStatus = CallbackStatus.BOOKED,
    note: str = "결제 비밀번호를 잊어버렸어요. 카드 4111-1111-1111-1111 로 결제했어요",
    verified_by: str | None = "host_token",
    attempts: int = 0,
) -> Callback:
    """A callback in ``slot_start`` (default: a slot that started a minute ago), filed under a phone inquiry."""
    now = utcnow()
    start = slot_start if slot_start is not None or kind == CallbackKind.MISSED_CALL else now - timedelta(minutes=1)
    inquiry = await open_phone_inquiry(session, customer, category, "전화 상담 예약", note)
    callback = Callback(
        kind=kind.value,
        customer_id=customer.id,
        inquiry_id=inquiry.id,
        category_id=category.id,
        phone=DIAL,
        note=inquiry.body,
        status=status.value,
        slot_start=start,
        slot_end=start + timedelta(minutes=30) if start is not None else None,
        due_at=start or now,
        attempts=attempts,
        verified_at=now - timedelta(minutes=5) if verified_by else None,
        verified_by=verified_by,
        created_at=now,
        updated_at=now,
    )
    session.add(callback)
    await session.flush()
    callback.number = callback_number(callback)
    await session.commit()
    return callback


async def emitted(session: AsyncSession, name: str) -> list[dict[str, object]]:
    """The data of every ``name`` event waiting in the job queue, oldest first."""
    jobs = await session.scalars(select(Job).where(Job.kind == EVENT_JOB).order_by(Job.id))
    return [job.payload["data"] for job in jobs if job.payload["event"] == name]
