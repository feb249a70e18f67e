"""Periodic sweeps: SLA risk flagged exactly once (with its event), resolved inquiries auto-close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.identity.models import Customer
from gogaek.inquiries import sweeps
from gogaek.inquiries.models import Inquiry, InquiryEvent
from gogaek.inquiries.schemas import InquiryCreate
from gogaek.inquiries.service import submit_inquiry
from gogaek.inquiries.storage import LocalAttachmentStorage
from gogaek.inquiries.sweeps import close_resolved_inquiries, flag_sla_risks
from gogaek.jobs.models import Job

pytestmark = pytest.mark.usefixtures("demo_content")


async def file_inquiry(session: AsyncSession, settings: Settings, customer_id: str = "sweep-customer") -> Inquiry:
    customer = Customer(external_id=customer_id, name="박고객")
    session.add(customer)
    await session.commit()
    data = InquiryCreate(category="payment", title="환불 문의", body="환불이 아직 안 됐어요")
    storage = LocalAttachmentStorage(settings.attachment_path)
    return (await submit_inquiry(session, customer, data, settings=settings, storage=storage)).inquiry


async def events_named(session: AsyncSession, name: str) -> int:
    jobs = (await session.scalars(select(Job).where(Job.kind == "event"))).all()
    return sum(1 for job in jobs if job.payload["event"] == name)


async def test_breach_and_warning_are_flagged_once(session: AsyncSession, settings: Settings) -> None:
    inquiry = await file_inquiry(session, settings)
    assert inquiry.first_response_due_at is not None
    later = inquiry.first_response_due_at + timedelta(minutes=1)
    assert await flag_sla_risks(session, settings, now=later) == 1
    assert await flag_sla_risks(session, settings, now=later + timedelta(minutes=5)) == 0
    await session.refresh(inquiry)
    assert inquiry.first_response_breached_at == later
    assert await events_named(session, "inquiry.sla_breached") == 1
    timeline = await session.scalar(
        select(func.count()).select_from(InquiryEvent).where(InquiryEvent.kind == "sla_breached")
    )
    assert timeline == 1


async def test_near_breach_warns_before_the_due_time(session: AsyncSession, settings: Settings) -> None:
    inquiry = await file_inquiry(session, settings)
    due = inquiry.first_response_due_at
    assert due is not None
    assert await flag_sla_risks(session, settings, now=inquiry.created_at + timedelta(seconds=1)) == 0
    almost = due - timedelta(minutes=30)
    assert await flag_sla_risks(session, settings, now=almost) >= 1
    await session.refresh(inquiry)
    assert inquiry.first_response_warned_at == almost and inquiry.first_response_breached_at is None
    assert await events_named(session, "inquiry.sla_warning") >= 1


async def test_resolved_inquiries_close_after_the_configured_days(session: AsyncSession, settings: Settings) -> None:
    inquiry = await file_inquiry(session, settings)
    inquiry.status, inquiry.resolved_at = "resolved", utcnow()
    await session.commit()
    assert await close_resolved_inquiries(session, settings) == 0
    later = utcnow() + timedelta(days=settings.inquiry_close_after_days, minutes=1)
    assert await close_resolved_inquiries(session, settings, now=later) == 1
    await session.refresh(inquiry)
    assert inquiry.status == "closed" and inquiry.closed_at == later
    assert await close_resolved_inquiries(session, settings, now=later) == 0


async def test_a_long_sweep_commits_in_steps_and_flags_each_inquiry_once(
    session: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small transactions keep SQLite's loop free between them; none may lose or double a flag."""
    monkeypatch.setattr(sweeps, "CHANGES_PER_COMMIT", 2)
    filed = [await file_inquiry(session, settings, f"sweep-{n}") for n in range(5)]
    commits: list[int] = []
    event.listen(session.sync_session, "after_commit", lambda _session: commits.append(1))
    due = max(inquiry.first_response_due_at for inquiry in filed if inquiry.first_response_due_at is not None)
    assert await flag_sla_risks(session, settings, now=due + timedelta(minutes=1)) == 5
    assert len(commits) >= 3  # 5 flags, 2 per transaction, and the last one
    assert await events_named(session, "inquiry.sla_breached") == 5
    assert await flag_sla_risks(session, settings, now=due + timedelta(minutes=2)) == 0
