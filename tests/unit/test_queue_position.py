"""The stored agent-queue order: the pure rule, and the ORM listener that keeps rows current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.sla import FINISHED_RANK, NO_DUE, queue_position

FIRST_DUE = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RESOLUTION_DUE = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)


def clocked(status: str = "received", priority: str = "normal", responded: bool = False) -> Inquiry:
    return Inquiry(
        status=status,
        priority=priority,
        first_response_due_at=FIRST_DUE,
        resolution_due_at=RESOLUTION_DUE,
        first_responded_at=FIRST_DUE - timedelta(hours=1) if responded else None,
    )


def test_open_work_ranks_by_priority_and_waits_on_the_next_promise() -> None:
    ranks = {name: queue_position(clocked(priority=name))[0] for name in ("urgent", "high", "normal", "low")}
    assert ranks == {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    assert queue_position(clocked()) == (2, FIRST_DUE)
    assert queue_position(clocked("in_progress", responded=True)) == (2, RESOLUTION_DUE)


def test_a_paused_clock_sorts_after_every_real_due_time() -> None:
    waiting = clocked("answered", responded=True)
    waiting.resolution_due_at = None
    assert queue_position(waiting) == (2, NO_DUE)
    assert NO_DUE > RESOLUTION_DUE


def test_finished_work_leaves_the_open_ranks() -> None:
    for status in ("resolved", "closed"):
        assert queue_position(clocked(status, "urgent", responded=True)) == (FINISHED_RANK, NO_DUE)


def test_a_new_inquiry_without_explicit_status_or_priority_counts_as_received_and_normal() -> None:
    """Column defaults are applied by the INSERT, after the listener has already run."""
    assert queue_position(Inquiry()) == (2, NO_DUE)


def test_an_unknown_priority_is_refused_rather_than_sorted_anywhere() -> None:
    with pytest.raises(ValueError, match="whenever"):
        queue_position(clocked(priority="whenever"))


async def stored_position(session: AsyncSession, inquiry_id: int) -> tuple[int, datetime]:
    query = select(Inquiry.queue_rank, Inquiry.queue_due_at).where(Inquiry.id == inquiry_id)
    rank, due = (await session.execute(query)).one()
    return int(rank), due


async def test_orm_inserts_and_updates_keep_the_stored_position(session: AsyncSession) -> None:
    category, customer = Category(slug="queue-order", name="대기열"), Customer(external_id="queue-order")
    session.add_all([category, customer])
    await session.flush()
    inquiry = Inquiry(customer_id=customer.id, category_id=category.id, title="문의", body="내용")
    session.add(inquiry)
    await session.commit()
    assert await stored_position(session, inquiry.id) == (2, NO_DUE)

    inquiry.priority, inquiry.first_response_due_at = "urgent", FIRST_DUE
    await session.commit()
    assert await stored_position(session, inquiry.id) == (0, FIRST_DUE)

    inquiry.status = "resolved"
    await session.commit()
    assert await stored_position(session, inquiry.id) == (FINISHED_RANK, NO_DUE)
