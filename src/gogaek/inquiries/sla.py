"""SLA clocks in business time: due times, the pause while waiting on the customer, and risk.

First response and resolution are each promised in business hours (by default 1 and 2
business days of 9 hours). The resolution clock stops while the inquiry waits on the
customer (status answered): the business time left is kept and a new due time is computed
when the inquiry comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.calendar.business_time import add_business_time, business_time_between
from gogaek.calendar.hours import BusinessHours
from gogaek.inquiries.models import Inquiry, Priority, SlaPolicy
from gogaek.inquiries.workflow import OPEN_STATUSES, Status
from gogaek.reference_cache import cached

BUSINESS_DAY_HOURS = 9.0
# Stored queue order (Inquiry.queue_rank): urgency while open, FINISHED_RANK once resolved or closed.
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
FINISHED_RANK = 9
# Stands in for "no due time" (paused clock) so it sorts last on every backend: a NULL would
# sort first on SQLite and last on PostgreSQL.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SlaTargets:
    first_response: timedelta
    resolution: timedelta


DEFAULT_TARGETS = SlaTargets(
    first_response=timedelta(hours=BUSINESS_DAY_HOURS), resolution=timedelta(hours=2 * BUSINESS_DAY_HOURS)
)


class SlaState(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    PAUSED = "paused"
    MET = "met"


_Policy = tuple[int | None, str | None, float, float]  # category, priority, first response h, resolution h


async def _load_policies(session: AsyncSession) -> tuple[_Policy, ...]:
    columns = (SlaPolicy.category_id, SlaPolicy.priority, SlaPolicy.first_response_hours, SlaPolicy.resolution_hours)
    return tuple((c, p, float(f), float(r)) for c, p, f, r in (await session.execute(select(*columns))).all())


async def targets_for(session: AsyncSession, category_id: int, priority: str) -> SlaTargets:
    """The most specific policy: category+priority, then category, then priority, then default."""
    policies = await cached(session, "sla_policies", lambda: _load_policies(session))
    matching = [policy for policy in policies if policy[0] in (category_id, None) and policy[1] in (priority, None)]
    if not matching:
        return DEFAULT_TARGETS
    best = max(matching, key=lambda policy: (policy[0] is not None, policy[1] is not None))
    return SlaTargets(timedelta(hours=best[2]), timedelta(hours=best[3]))


def start_clocks(inquiry: Inquiry, targets: SlaTargets, now: datetime, hours: BusinessHours) -> None:
    inquiry.first_response_due_at = add_business_time(now, targets.first_response, hours)
    inquiry.resolution_due_at = add_business_time(now, targets.resolution, hours)
    inquiry.resolution_remaining_seconds = None


def pause_resolution(inquiry: Inquiry, now: datetime, hours: BusinessHours) -> None:
    """Waiting on the customer: keep the business time left (possibly negative), clear the due time."""
    if inquiry.resolution_due_at is None:
        return
    left = business_time_between(now, inquiry.resolution_due_at, hours)
    inquiry.resolution_remaining_seconds = left.total_seconds()
    inquiry.resolution_due_at = None


def resume_resolution(inquiry: Inquiry, now: datetime, hours: BusinessHours) -> None:
    if inquiry.resolution_remaining_seconds is None:
        return
    left = timedelta(seconds=max(inquiry.resolution_remaining_seconds, 0.0))
    inquiry.resolution_due_at = add_business_time(now, left, hours)
    inquiry.resolution_remaining_seconds = None


def next_due(inquiry: Inquiry) -> datetime | None:
    """The nearest promise still open: first response until it happened, then resolution."""
    if inquiry.first_responded_at is None and inquiry.first_response_due_at is not None:
        return inquiry.first_response_due_at
    return inquiry.resolution_due_at


def sla_state(inquiry: Inquiry, now: datetime) -> SlaState:
    """What the queue shows; "due soon" comes from the flag the SLA sweep sets once."""
    if inquiry.resolved_at is not None or inquiry.closed_at is not None:
        return SlaState.MET
    due = next_due(inquiry)
    if due is None:
        return SlaState.PAUSED
    if due <= now:
        return SlaState.OVERDUE
    warned = inquiry.first_response_warned_at if inquiry.first_responded_at is None else inquiry.resolution_warned_at
    return SlaState.DUE_SOON if warned is not None else SlaState.OK


def is_near_breach(started: datetime, due: datetime, now: datetime, hours: BusinessHours, ratio: float) -> bool:
    """True once the given share of the promised business time has been used up."""
    total = business_time_between(started, due, hours)
    used = business_time_between(started, now, hours)
    return total <= timedelta(0) or used >= total * ratio


def queue_position(inquiry: Inquiry) -> tuple[int, datetime]:
    """The stored sort key of the agent queue: (rank, due time), so the database reads it from an index."""
    # Before an INSERT the column defaults are not applied yet, so a new row may still hold None.
    if Status(inquiry.status or Status.RECEIVED) not in OPEN_STATUSES:
        return FINISHED_RANK, NO_DUE
    return PRIORITY_RANK[Priority(inquiry.priority or Priority.NORMAL)], next_due(inquiry) or NO_DUE


@event.listens_for(Inquiry, "before_insert")
@event.listens_for(Inquiry, "before_update")
def _keep_queue_position(_mapper: Any, _connection: Any, inquiry: Inquiry) -> None:
    """Every ORM write refreshes the stored queue order; Core UPDATEs must set it themselves."""
    inquiry.queue_rank, inquiry.queue_due_at = queue_position(inquiry)
