"""Reads for the agent console: the queue views and one inquiry with everything around it.

Every agent sees every inquiry: a support centre shares one queue, and an agent covering for a
colleague must be able to open any ticket. Views narrow the list; they are not permissions.
Staff see the text as stored, which was already masked for resident, card, account and phone
numbers when the customer sent it.

Open work is ordered by urgency (urgent, high, normal, low), then by the nearest SLA due time
(paused clocks last), then by id, read from the stored ``queue_rank`` and ``queue_due_at``
columns (``sla.queue_position``) so an index serves the order. Finished work (a ``resolved``
or ``closed`` status filter) is newest first. Pages are keyset-paginated: ``before_id`` is the id of the last row of the
previous page, and the next page continues after that row in the same order, so a page never
repeats or skips rows the way OFFSET does while the queue is moving.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, SmallInteger, and_, case, literal, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from gogaek.db import UTCDateTime, utcnow
from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Customer, StaffUser, Team, TeamMember
from gogaek.identity.schemas import StaffRef
from gogaek.inquiries.agent_schemas import (
    AgentInquiryDetail,
    AgentInquiryState,
    AgentMessage,
    CustomerProfile,
    InquiryRef,
    QueueRow,
    StatusOption,
    TeamRef,
    TimelineEvent,
    TimelineItem,
)
from gogaek.inquiries.emergency import ACCIDENT_GUIDANCE
from gogaek.inquiries.models import (
    Inquiry,
    InquiryAttachment,
    InquiryEvent,
    InquiryFeedback,
    InquiryMessage,
    Priority,
)
from gogaek.inquiries.presence import recent_viewers
from gogaek.inquiries.queries import attachments_by_message
from gogaek.inquiries.schemas import AttachmentPublic, CategoryRef, FeedbackPublic
from gogaek.inquiries.sla import FINISHED_RANK, next_due, sla_state
from gogaek.inquiries.workflow import STATUS_LABELS, Actor, Status, allowed_targets
from gogaek.korean.pii import mask_pii
from gogaek.web.i18n import N_, gettext

MAX_PAGE = 200
OTHER_INQUIRIES = 10
FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})


class QueueView(StrEnum):
    ALL = "all"
    UNASSIGNED = "unassigned"
    MINE = "mine"
    TEAM = "team"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


# --- SQL twins of sla.next_due / sla.sla_state, so views filter in the database ---------

_first_response_running = and_(Inquiry.first_responded_at.is_(None), Inquiry.first_response_due_at.is_not(None))
_next_due_sql = case((_first_response_running, Inquiry.first_response_due_at), else_=Inquiry.resolution_due_at)
_warned_sql = case((_first_response_running, Inquiry.first_response_warned_at), else_=Inquiry.resolution_warned_at)
# Open work in queue order, read from the stored columns (see sla.queue_position) so an index
# serves the order instead of the database sorting the whole open backlog.
_open_work = Inquiry.queue_rank < FINISHED_RANK
_queue_key = (Inquiry.queue_rank, Inquiry.queue_due_at, Inquiry.id)


async def _view_clause(session: AsyncSession, view: QueueView, agent: StaffUser, now: datetime) -> ColumnElement[bool]:
    match view:
        case QueueView.UNASSIGNED:
            return Inquiry.assignee_id.is_(None)
        case QueueView.MINE:
            return Inquiry.assignee_id == agent.id
        case QueueView.TEAM:
            # Literal ids rather than a subquery, so both databases use the team indexes.
            teams = (await session.scalars(select(TeamMember.team_id).where(TeamMember.staff_id == agent.id))).all()
            return Inquiry.team_id.in_(list(teams))
        case QueueView.DUE_SOON:
            return and_(_open_work, _next_due_sql > now, _warned_sql.is_not(None))
        case QueueView.OVERDUE:
            return and_(_open_work, Inquiry.queue_due_at <= now)
    return true()


def _parse_status(status: str | None) -> Status | None:
    if status is None:
        return None
    try:
        return Status(status)
    except ValueError as exc:
        raise ProblemError(
            422, "unknown_status", gettext("알 수 없는 상태입니다: %(status)s") % {"status": status}
        ) from exc


async def _after_cursor(session: AsyncSession, before_id: int, finished: bool) -> ColumnElement[bool]:
    """Rows that come after the cursor row in the queue order."""
    if finished:
        return Inquiry.id < before_id
    cursor = await session.get(Inquiry, before_id)
    if cursor is None:
        raise ProblemError(422, "invalid_cursor", N_("목록 위치(before_id)가 올바르지 않습니다."))
    return tuple_(*_queue_key) > tuple_(
        literal(cursor.queue_rank, SmallInteger()), literal(cursor.queue_due_at, UTCDateTime()), literal(cursor.id)
    )


async def agent_queue(
    session: AsyncSession,
    agent: StaffUser,
    view: QueueView,
    *,
    status: str | None = None,
    category_id: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """One query; see the module docstring for the order.

    The page is chosen from ``inquiries`` alone and only its rows are joined to the names, so
    the joins cost the same whether ten or ten thousand inquiries are open.
    """
    now = now or utcnow()
    wanted = _parse_status(status)
    finished = wanted in FINISHED
    order = (Inquiry.id.desc(),) if finished else _queue_key
    page = (
        select(Inquiry.id)
        .where(
            Inquiry.status == wanted.value if wanted is not None else _open_work,
            await _view_clause(session, view, agent, now),
        )
        .order_by(*order)
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    if category_id is not None:
        page = page.where(Inquiry.category_id == category_id)
    if before_id is not None:
        page = page.where(await _after_cursor(session, before_id, finished))
    chosen = page.subquery()
    assignee, team = aliased(StaffUser), aliased(Team)
    query = (
        select(Inquiry, Category.name, Customer.name, assignee.display_name, team.name)
        .join(chosen, chosen.c.id == Inquiry.id)
        .join(Category, Category.id == Inquiry.category_id)
        .join(Customer, Customer.id == Inquiry.customer_id)
        .outerjoin(assignee, assignee.id == Inquiry.assignee_id)
        .outerjoin(team, team.id == Inquiry.team_id)
        .order_by(*order)
    )
    rows = (await session.execute(query)).all()
    return [
        _queue_row(inquiry, category_name, customer_name, assignee_name, team_name, now)
        for inquiry, category_name, customer_name, assignee_name, team_name in rows
    ]


def _queue_row(
    inquiry: Inquiry,
    category_name: str,
    customer_name: str | None,
    assignee_name: str | None,
    team_name: str | None,
    now: datetime,
) -> QueueRow:
    status = Status(inquiry.status)
    return QueueRow(
        id=inquiry.id,
        number=inquiry.number or "",
        title=inquiry.title,
        status=status,
        status_label=STATUS_LABELS[status],
        priority=Priority(inquiry.priority),
        category_id=inquiry.category_id,
        category_name=category_name,
        customer_name=customer_name,
        assignee_id=inquiry.assignee_id,
        assignee_name=assignee_name,
        team_id=inquiry.team_id,
        team_name=team_name,
        created_at=inquiry.created_at,
        updated_at=inquiry.updated_at,
        due_at=next_due(inquiry),
        first_responded_at=inquiry.first_responded_at,
        sla_state=sla_state(inquiry, now),
        tags=list(inquiry.tags or []),
        is_emergency=inquiry.is_emergency,
    )


# --- one inquiry ---------------------------------------------------------------------


async def get_inquiry(session: AsyncSession, inquiry_id: int) -> Inquiry:
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise not_found("문의")
    return inquiry


def agent_attachment_url(attachment: InquiryAttachment) -> str:
    return f"/api/v1/agent/inquiries/{attachment.inquiry_id}/attachments/{attachment.id}"


def _status_options(inquiry: Inquiry) -> list[StatusOption]:
    return [
        StatusOption(status=target, label=STATUS_LABELS[target])
        for target in allowed_targets(Status(inquiry.status), Actor.AGENT)
    ]


async def agent_inquiry_state(
    session: AsyncSession, inquiry: Inquiry, now: datetime | None = None
) -> AgentInquiryState:
    now = now or utcnow()
    assignee = await session.get(StaffUser, inquiry.assignee_id) if inquiry.assignee_id is not None else None
    team = await session.get(Team, inquiry.team_id) if inquiry.team_id is not None else None
    status = Status(inquiry.status)
    return AgentInquiryState(
        id=inquiry.id,
        number=inquiry.number or "",
        status=status,
        status_label=STATUS_LABELS[status],
        priority=Priority(inquiry.priority),
        tags=list(inquiry.tags or []),
        assignee=StaffRef(id=assignee.id, display_name=assignee.display_name) if assignee is not None else None,
        team=TeamRef(id=team.id, name=team.name) if team is not None else None,
        merged_into_id=inquiry.merged_into_id,
        first_responded_at=inquiry.first_responded_at,
        due_at=next_due(inquiry),
        sla_state=sla_state(inquiry, now),
        updated_at=inquiry.updated_at,
        allowed_statuses=_status_options(inquiry),
    )


async def agent_inquiry_detail(
    session: AsyncSession, agent: StaffUser, inquiry_id: int, now: datetime | None = None
) -> AgentInquiryDetail:
    """Everything the console shows for one inquiry, in a fixed number of queries.

    ``other_viewers`` is read, not written: call ``presence.mark_viewing`` first when the
    agent is actually opening the inquiry.
    """
    now = now or utcnow()
    inquiry = await get_inquiry(session, inquiry_id)
    category = await session.get(Category, inquiry.category_id)
    customer = await session.get(Customer, inquiry.customer_id)
    assert category is not None and customer is not None  # both foreign keys are RESTRICT
    attachments = await attachments_by_message(session, inquiry.id, agent_attachment_url)
    messages = await _messages(session, inquiry.id, attachments)
    events = await _events(session, inquiry.id)
    feedback = await session.scalar(select(InquiryFeedback).where(InquiryFeedback.inquiry_id == inquiry.id))
    merged_into = await session.get(Inquiry, inquiry.merged_into_id) if inquiry.merged_into_id is not None else None
    viewers = await recent_viewers(session, inquiry.id, exclude_staff_id=agent.id, now=now)
    state = await agent_inquiry_state(session, inquiry, now)
    return AgentInquiryDetail(
        **state.model_dump(),
        title=inquiry.title,
        body=inquiry.body,
        channel=inquiry.channel,
        is_emergency=inquiry.is_emergency,
        emergency_guidance=ACCIDENT_GUIDANCE if inquiry.is_emergency else None,
        transaction_ref=inquiry.transaction_ref,
        category=CategoryRef.model_validate(category),
        merged_into=_inquiry_ref(merged_into) if merged_into is not None else None,
        created_at=inquiry.created_at,
        resolved_at=inquiry.resolved_at,
        closed_at=inquiry.closed_at,
        first_response_due_at=inquiry.first_response_due_at,
        resolution_due_at=inquiry.resolution_due_at,
        attachments=attachments.get(None, []),
        messages=messages,
        timeline=_merge_timeline(messages, events),
        customer=_profile(customer),
        other_inquiries=await _other_inquiries(session, inquiry),
        feedback=FeedbackPublic.model_validate(feedback) if feedback is not None else None,
        other_viewers=[StaffRef(id=user.id, display_name=user.display_name) for user in viewers],
    )


async def _messages(
    session: AsyncSession, inquiry_id: int, attachments: dict[int | None, list[AttachmentPublic]]
) -> list[AgentMessage]:
    rows = await session.execute(
        select(InquiryMessage, StaffUser.display_name)
        .outerjoin(StaffUser, StaffUser.id == InquiryMessage.author_staff_id)
        .where(InquiryMessage.inquiry_id == inquiry_id)
        .order_by(InquiryMessage.id)
    )
    return [
        AgentMessage(
            id=message.id,
            author=message.author_kind,
            author_name=staff_name,
            author_staff_id=message.author_staff_id,
            internal=message.internal,
            body=message.body,
            created_at=message.created_at,
            attachments=attachments.get(message.id, []),
        )
        for message, staff_name in rows
    ]


async def _events(session: AsyncSession, inquiry_id: int) -> list[TimelineEvent]:
    rows = await session.execute(
        select(InquiryEvent, StaffUser.display_name)
        .outerjoin(StaffUser, StaffUser.id == InquiryEvent.actor_staff_id)
        .where(InquiryEvent.inquiry_id == inquiry_id)
        .order_by(InquiryEvent.id)
    )
    return [
        TimelineEvent(
            id=event.id,
            kind=event.kind,
            actor=event.actor_kind,
            actor_name=staff_name,
            data=dict(event.data or {}),
            created_at=event.created_at,
        )
        for event, staff_name in rows
    ]


def _merge_timeline(messages: Sequence[AgentMessage], events: Sequence[TimelineEvent]) -> list[TimelineItem]:
    """Stable by time; at the same instant a message comes before the event it caused."""
    items: list[tuple[datetime, int, int, TimelineItem]] = [
        (m.created_at, 0, m.id, TimelineItem(type="message", created_at=m.created_at, message=m)) for m in messages
    ]
    items += [(e.created_at, 1, e.id, TimelineItem(type="event", created_at=e.created_at, event=e)) for e in events]
    return [item for *_, item in sorted(items, key=lambda entry: entry[:3])]


def _profile(customer: Customer) -> CustomerProfile:
    return CustomerProfile(
        id=customer.id,
        name=customer.name,
        email=customer.email,
        phone=mask_pii(customer.phone).text if customer.phone else None,
        source=customer.source,
        verified=customer.verified_at is not None,
        created_at=customer.created_at,
    )


def _inquiry_ref(inquiry: Inquiry) -> InquiryRef:
    status = Status(inquiry.status)
    return InquiryRef(
        id=inquiry.id,
        number=inquiry.number or "",
        title=inquiry.title,
        status=status,
        status_label=STATUS_LABELS[status],
        created_at=inquiry.created_at,
    )


async def _other_inquiries(session: AsyncSession, inquiry: Inquiry) -> list[InquiryRef]:
    rows = await session.scalars(
        select(Inquiry)
        .where(Inquiry.customer_id == inquiry.customer_id, Inquiry.id != inquiry.id)
        .order_by(Inquiry.created_at.desc(), Inquiry.id.desc())
        .limit(OTHER_INQUIRIES)
    )
    return [_inquiry_ref(row) for row in rows]
