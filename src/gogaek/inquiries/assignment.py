"""Who works on an inquiry: manual assignment by staff and round-robin for new inquiries.

Round-robin gives a new inquiry to the ACTIVE agent (role ``agent``) who is "available", may
take it (team member for team-routed and emergency inquiries, otherwise the category is one of
their skills), has room under their open-inquiry limit, and waited longest since their last
assignment (never-assigned agents first). Nobody fits → the inquiry stays in the unassigned
queue for a person to pick up. An auto-assigned inquiry stays 접수 (received) until the agent
acts on it; a manual assignment means someone is on it, so it moves to 처리중 (in progress).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek import events
from gogaek.audit.service import record_audit
from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.identity.models import AgentSkill, Availability, StaffRole, StaffUser, TeamMember
from gogaek.identity.service import get_active_staff
from gogaek.inquiries.models import Inquiry, Priority
from gogaek.inquiries.service import AUTO_ASSIGN_JOB, add_timeline_event, change_status, event_data
from gogaek.inquiries.workflow import OPEN_STATUSES, Actor, Status
from gogaek.jobs.handlers import JobContext, PermanentJobError
from gogaek.jobs.queue import enqueue
from gogaek.web.i18n import N_

_OPEN_VALUES = sorted(status.value for status in OPEN_STATUSES)


def _inquiry_closed() -> ProblemError:
    return ProblemError(409, "inquiry_closed", N_("종료된 문의는 배정할 수 없습니다."))


async def assign_inquiry(
    session: AsyncSession,
    actor: StaffUser,
    inquiry: Inquiry,
    assignee_id: int | None,
    settings: Settings,
    request: Request | None = None,
) -> Inquiry:
    """Gives the inquiry to an active staff member (or back to the queue with None); one commit."""
    if inquiry.status == Status.CLOSED:
        raise _inquiry_closed()
    assignee = await get_active_staff(session, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and assignee is None:
        raise ProblemError(
            422,
            "unknown_assignee",
            N_("배정할 수 없는 직원입니다. 활성화된 계정인지 확인해 주세요."),
            errors=[{"loc": ["body", "assignee_id"], "message": "not an active staff member"}],
        )
    previous = inquiry.assignee_id
    if previous == assignee_id:
        return inquiry  # nothing changes, so nothing is recorded
    now = utcnow()
    inquiry.assignee_id = assignee_id
    inquiry.updated_at = now
    if assignee is not None:
        assignee.last_assigned_at = now
    add_timeline_event(session, inquiry, "assigned", Actor.AGENT, {"from": previous, "to": assignee_id}, actor)
    if assignee is not None and inquiry.status == Status.RECEIVED:
        await change_status(session, inquiry, Status.IN_PROGRESS, Actor.AGENT, settings, staff=actor)
    await events.emit(
        session, events.INQUIRY_ASSIGNED, event_data(inquiry, previous_assignee_id=previous, actor=Actor.AGENT.value)
    )
    record_audit(
        session,
        actor,
        "inquiry.assign",
        target_type="inquiry",
        target_id=inquiry.id,
        detail={"from": previous, "to": assignee_id},
        request=request,
    )
    await session.commit()
    return inquiry


async def _pick_agent(session: AsyncSession, settings: Settings, inquiry: Inquiry) -> StaffUser | None:
    """The eligible agent with spare capacity who waited longest; locked so concurrent jobs differ."""
    open_count = (
        select(func.count())
        .select_from(Inquiry)
        .where(Inquiry.assignee_id == StaffUser.id, Inquiry.status.in_(_OPEN_VALUES))
        .scalar_subquery()
    )
    if inquiry.team_id is not None:
        eligible = StaffUser.id.in_(select(TeamMember.staff_id).where(TeamMember.team_id == inquiry.team_id))
    else:
        eligible = StaffUser.id.in_(select(AgentSkill.staff_id).where(AgentSkill.category_id == inquiry.category_id))
    query = (
        select(StaffUser)
        .where(
            StaffUser.is_active.is_(True),
            StaffUser.role == StaffRole.AGENT.value,
            StaffUser.availability == Availability.AVAILABLE.value,
            eligible,
            open_count < func.coalesce(StaffUser.max_open_inquiries, settings.agent_max_open_inquiries),
        )
        .order_by(StaffUser.last_assigned_at.is_not(None), StaffUser.last_assigned_at, StaffUser.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=StaffUser)
    )
    agent: StaffUser | None = await session.scalar(query)
    return agent


async def assign_round_robin(session: AsyncSession, settings: Settings, inquiry_id: int) -> StaffUser | None:
    """Round-robin for one inquiry, added to the session uncommitted; returns the agent it went
    to, or None when nothing changed (then nothing but the pick's row locks was taken).

    Idempotent: an inquiry that already has an assignee (or is no longer open) is left alone,
    and the claim is a conditional UPDATE, so a job that runs twice assigns once.
    """
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None or inquiry.assignee_id is not None or Status(inquiry.status) not in OPEN_STATUSES:
        return None
    agent = await _pick_agent(session, settings, inquiry)
    if agent is None:
        return None  # it waits in the unassigned queue
    now = utcnow()
    claimed = await session.execute(
        update(Inquiry)
        .where(Inquiry.id == inquiry.id, Inquiry.assignee_id.is_(None))
        .values(assignee_id=agent.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None  # someone assigned it between our read and our claim
    inquiry.assignee_id, inquiry.updated_at = agent.id, now
    agent.last_assigned_at = now
    add_timeline_event(session, inquiry, "assigned", Actor.SYSTEM, {"from": None, "to": agent.id, "auto": True})
    await events.emit(
        session, events.INQUIRY_ASSIGNED, event_data(inquiry, previous_assignee_id=None, actor=Actor.SYSTEM.value)
    )
    record_audit(
        session, None, "inquiry.auto_assign", target_type="inquiry", target_id=inquiry.id, detail={"to": agent.id}
    )
    return agent


async def auto_assign(session: AsyncSession, settings: Settings, inquiry_id: int) -> StaffUser | None:
    """:func:`assign_round_robin` in a transaction of its own."""
    agent = await assign_round_robin(session, settings, inquiry_id)
    if agent is None:
        await session.rollback()  # releases the pick's row locks
        return None
    await session.commit()
    return agent


async def run_auto_assign_job(ctx: JobContext, session: AsyncSession, payload: dict[str, Any]) -> None:
    """In-transaction handler of ``service.AUTO_ASSIGN_JOB`` (enqueued when an inquiry is filed)."""
    await assign_round_robin(session, ctx.settings, _inquiry_id(payload))


def _inquiry_id(payload: dict[str, Any]) -> int:
    value = payload.get("inquiry_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentJobError(f"payload field 'inquiry_id' must be int, got {value!r}")
    return value


async def release_assignments(session: AsyncSession, actor: StaffUser, staff: StaffUser) -> list[int]:
    """Hands a leaving person's open inquiries back to round-robin; the caller commits.

    Each one gets a timeline entry, an assignment event and a fresh auto-assign job (without a
    dedupe key: the one from submission already ran).
    """
    inquiries = (
        await session.scalars(
            select(Inquiry)
            .where(Inquiry.assignee_id == staff.id, Inquiry.status.in_(_OPEN_VALUES))
            .order_by(Inquiry.id)
        )
    ).all()
    now = utcnow()
    for inquiry in inquiries:
        inquiry.assignee_id = None
        inquiry.updated_at = now
        add_timeline_event(
            session, inquiry, "assigned", Actor.AGENT, {"from": staff.id, "to": None, "reason": "deactivated"}, actor
        )
        await events.emit(
            session,
            events.INQUIRY_ASSIGNED,
            event_data(inquiry, previous_assignee_id=staff.id, actor=Actor.AGENT.value),
        )
        await enqueue(session, AUTO_ASSIGN_JOB, {"inquiry_id": inquiry.id})
    return [inquiry.id for inquiry in inquiries]


async def unassigned_open_inquiry_ids(session: AsyncSession, *, limit: int) -> list[int]:
    """The inquiries round-robin should try again: urgent first, then oldest first."""
    rows = await session.scalars(
        select(Inquiry.id)
        .where(Inquiry.assignee_id.is_(None), Inquiry.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by((Inquiry.priority == Priority.URGENT.value).desc(), Inquiry.id)
        .limit(limit)
    )
    return list(rows.all())
