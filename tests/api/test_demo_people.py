"""The demo a newcomer sees: agents in teams, customers, and inquiries in every state."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.models import AuditEntry
from gogaek.config import Settings
from gogaek.demo.people import load_demo_people
from gogaek.identity.models import StaffUser, Team
from gogaek.inquiries.models import Inquiry, InquiryEvent, InquiryFeedback, InquiryMessage, Macro

pytestmark = pytest.mark.usefixtures("demo_content")


async def test_demo_has_inquiries_in_every_state(session: AsyncSession, settings: Settings) -> None:
    people = await load_demo_people(session, settings)
    assert len(people.staff) == 4 and len(people.customers) == 3
    inquiries = (await session.scalars(select(Inquiry))).all()
    assert {i.status for i in inquiries} == {"received", "in_progress", "answered", "resolved", "closed"}
    assert await session.scalar(select(InquiryFeedback.score)) == 5
    assert await session.scalar(select(InquiryMessage.id).where(InquiryMessage.internal.is_(True))) is not None
    masked = await session.scalar(select(Inquiry.body).where(Inquiry.transaction_ref.is_not(None)))
    assert masked is not None and "4111-1111-1111-1111" not in masked
    emergency = await session.scalar(select(Inquiry).where(Inquiry.is_emergency.is_(True)))
    security = await session.scalar(select(Team).where(Team.handles_emergencies.is_(True)))
    assert emergency is not None and security is not None
    assert emergency.priority == "urgent" and emergency.team_id == security.id
    answered = await session.scalar(select(Inquiry).where(Inquiry.status == "answered"))
    assert answered is not None and answered.resolution_due_at is None  # the clock waits on the customer
    assert len((await session.scalars(select(Macro))).all()) >= 3


async def test_demo_work_leaves_the_same_trail_as_the_console(session: AsyncSession, settings: Settings) -> None:
    """Assignments and the close go through the agents' verbs: timeline entries and audit rows included."""
    await load_demo_people(session, settings)
    assigned = (await session.scalars(select(InquiryEvent.inquiry_id).where(InquiryEvent.kind == "assigned"))).all()
    assert len(assigned) == 3
    audited = (await session.scalars(select(AuditEntry).where(AuditEntry.target_type == "inquiry"))).all()
    assert sorted(entry.target_id for entry in audited if entry.action == "inquiry.assign") == sorted(
        str(inquiry_id) for inquiry_id in assigned
    )
    assert [entry.detail for entry in audited if entry.action == "inquiry.status"] == [
        {"from": "received", "to": "closed"}
    ]


async def test_loading_the_demo_twice_adds_nothing(session: AsyncSession, settings: Settings) -> None:
    await load_demo_people(session, settings)
    again = await load_demo_people(session, settings)
    assert again.staff == [] and again.inquiries == 0
    assert len((await session.scalars(select(StaffUser))).all()) == 4
