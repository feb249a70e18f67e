"""Domain events: names, and how they leave a transaction.

``emit`` writes an ``event`` job into the same transaction as the change, so an event is
published exactly when its change commits. The job's handler fans it out to webhooks,
notifications and (later) live channels.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.jobs.queue import enqueue

INQUIRY_CREATED = "inquiry.created"
INQUIRY_UPDATED = "inquiry.updated"  # the customer added information
INQUIRY_ANSWERED = "inquiry.answered"
INQUIRY_STATUS_CHANGED = "inquiry.status_changed"
INQUIRY_ASSIGNED = "inquiry.assigned"
INQUIRY_MERGED = "inquiry.merged"
INQUIRY_FEEDBACK = "inquiry.feedback_received"
INQUIRY_SLA_WARNING = "inquiry.sla_warning"
INQUIRY_SLA_BREACHED = "inquiry.sla_breached"
CALLBACK_BOOKED = "callback.booked"
CALLBACK_RESCHEDULED = "callback.rescheduled"
CALLBACK_CANCELLED = "callback.cancelled"
CALLBACK_COMPLETED = "callback.completed"
CALLBACK_MISSED = "callback.missed"  # nobody answered after every retry
CALLBACK_OVERDUE = "callback.overdue"  # not started in time after its slot began
CALL_MISSED = "call.missed"  # an inbound call hung up before anyone answered
APPEAL_DECIDED = "appeal.decided"  # lifted, kept, or more evidence asked for

ALL_EVENTS = (
    INQUIRY_CREATED,
    INQUIRY_UPDATED,
    INQUIRY_ANSWERED,
    INQUIRY_STATUS_CHANGED,
    INQUIRY_ASSIGNED,
    INQUIRY_MERGED,
    INQUIRY_FEEDBACK,
    INQUIRY_SLA_WARNING,
    INQUIRY_SLA_BREACHED,
    CALLBACK_BOOKED,
    CALLBACK_RESCHEDULED,
    CALLBACK_CANCELLED,
    CALLBACK_COMPLETED,
    CALLBACK_MISSED,
    CALLBACK_OVERDUE,
    CALL_MISSED,
    APPEAL_DECIDED,
)
EVENT_JOB = "event"


async def emit(session: AsyncSession, event: str, data: dict[str, Any]) -> None:
    """Records the event in the caller's transaction; nothing is sent until it commits."""
    if event not in ALL_EVENTS:
        raise ValueError(f"unknown event {event!r}")
    await enqueue(session, EVENT_JOB, {"event": event, "data": data})
