"""Report reads over inquiries: volume, SLA outcomes, durations, backlog, CSAT and agents.

Every query filters the same way (:func:`inquiry_scope`): inquiries filed (``created_at``)
within the Seoul dates of the filter, and the channel, category and team when chosen. Days
are Seoul days, computed in SQL; durations are read as epoch seconds so that 100,000 rows
cost no datetime objects (the business-time maths is in :mod:`gogaek.reports.stats`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.inquiries.models import Inquiry, InquiryFeedback
from gogaek.inquiries.workflow import OPEN_STATUSES
from gogaek.reports.schemas import ReportFilters

SEOUL_OFFSET = "+9 hours"  # Korea keeps no daylight saving time: a Seoul day is a UTC day shifted by 9 hours
BACKLOG_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("1일 미만", timedelta(days=1)),
    ("1–3일", timedelta(days=3)),
    ("3–7일", timedelta(days=7)),
    ("7–14일", timedelta(days=14)),
    ("14일 이상", None),
)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def seoul_day(column: Any, backend: str) -> ColumnElement[Any]:
    """The Seoul calendar day of a stored UTC moment (a date on PostgreSQL, 'YYYY-MM-DD' on SQLite)."""
    if backend == "sqlite":
        return func.date(column, SEOUL_OFFSET)
    return func.date(func.timezone("Asia/Seoul", column))


def epoch(column: Any, backend: str) -> ColumnElement[Any]:
    """Seconds since 1970 as a float (NULL stays NULL)."""
    if backend == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def inquiry_scope(filters: ReportFilters, *, filed_in_range: bool = True) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filed_in_range:
        conditions += [Inquiry.created_at >= filters.start_at, Inquiry.created_at < filters.end_at]
    if filters.channel is not None:
        conditions.append(Inquiry.channel == filters.channel)
    if filters.category_id is not None:
        conditions.append(Inquiry.category_id == filters.category_id)
    if filters.team_id is not None:
        conditions.append(Inquiry.team_id == filters.team_id)
    return conditions


@dataclass(frozen=True, slots=True)
class VolumeRow:
    day: date
    channel: str
    category_id: int
    count: int


async def volume(session: AsyncSession, filters: ReportFilters) -> list[VolumeRow]:
    day = seoul_day(Inquiry.created_at, dialect(session)).label("day")
    statement = (
        select(day, Inquiry.channel, Inquiry.category_id, func.count())
        .where(*inquiry_scope(filters))
        .group_by(day, Inquiry.channel, Inquiry.category_id)
    )
    rows = (await session.execute(statement)).all()
    return [VolumeRow(as_date(d), channel, category, int(count)) for d, channel, category, count in rows]


def first_response_missed() -> ColumnElement[bool]:
    """Marked breached by the SLA sweep, or answered after the due time (before the sweep ran)."""
    late = and_(
        Inquiry.first_responded_at.is_not(None),
        Inquiry.first_response_due_at.is_not(None),
        Inquiry.first_responded_at > Inquiry.first_response_due_at,
    )
    return or_(Inquiry.first_response_breached_at.is_not(None), late)


def resolution_missed() -> ColumnElement[bool]:
    late = and_(
        Inquiry.resolved_at.is_not(None),
        Inquiry.resolution_due_at.is_not(None),
        Inquiry.resolved_at > Inquiry.resolution_due_at,
    )
    return or_(Inquiry.resolution_breached_at.is_not(None), late)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


@dataclass(frozen=True, slots=True)
class SlaRow:
    day: date
    filed: int
    first_response_met: int
    first_response_missed: int
    resolution_met: int
    resolution_missed: int


async def sla_outcomes(session: AsyncSession, filters: ReportFilters) -> list[SlaRow]:
    day = seoul_day(Inquiry.created_at, dialect(session)).label("day")
    fr_missed, res_missed = first_response_missed(), resolution_missed()
    statement = (
        select(
            day,
            func.count(),
            _count_if(and_(Inquiry.first_responded_at.is_not(None), ~fr_missed)),
            _count_if(fr_missed),
            _count_if(and_(Inquiry.resolved_at.is_not(None), ~res_missed)),
            _count_if(res_missed),
        )
        .where(*inquiry_scope(filters))
        .group_by(day)
    )
    rows = (await session.execute(statement)).all()
    outcomes = [SlaRow(as_date(row[0]), *(int(value or 0) for value in row[1:])) for row in rows]
    return sorted(outcomes, key=lambda outcome: outcome.day)


@dataclass(frozen=True, slots=True)
class DurationRow:
    created: float
    first_responded: float | None
    resolved: float | None
    assignee_id: int | None


async def durations(session: AsyncSession, filters: ReportFilters) -> list[DurationRow]:
    """Epoch seconds of filing, first response and resolution for inquiries that have either."""
    backend = dialect(session)
    statement = select(
        epoch(Inquiry.created_at, backend),
        epoch(Inquiry.first_responded_at, backend),
        epoch(Inquiry.resolved_at, backend),
        Inquiry.assignee_id,
    ).where(
        *inquiry_scope(filters),
        or_(Inquiry.first_responded_at.is_not(None), Inquiry.resolved_at.is_not(None)),
    )
    rows = (await session.execute(statement)).all()
    return [
        DurationRow(
            float(created),
            None if responded is None else float(responded),
            None if resolved is None else float(resolved),
            assignee,
        )
        for created, responded, resolved, assignee in rows
    ]


async def backlog(session: AsyncSession, filters: ReportFilters, now: datetime) -> list[tuple[str, str, int]]:
    """Open inquiries right now (filed before the end of the range), by age bucket and status."""
    whens = [(Inquiry.created_at > now - limit, literal(label)) for label, limit in BACKLOG_BUCKETS if limit]
    bucket = case(*whens, else_=literal(BACKLOG_BUCKETS[-1][0])).label("bucket")
    statement = (
        select(bucket, Inquiry.status, func.count())
        .where(
            *inquiry_scope(filters, filed_in_range=False),
            Inquiry.created_at < filters.end_at,
            Inquiry.status.in_([status.value for status in OPEN_STATUSES]),
        )
        .group_by(bucket, Inquiry.status)
    )
    return [(label, status, int(count)) for label, status, count in (await session.execute(statement)).all()]


def feedback_scope(filters: ReportFilters) -> list[ColumnElement[bool]]:
    """Ratings given within the range, for inquiries of the chosen channel, category and team."""
    return [
        InquiryFeedback.created_at >= filters.start_at,
        InquiryFeedback.created_at < filters.end_at,
        *inquiry_scope(filters, filed_in_range=False),
    ]


async def csat_distribution(session: AsyncSession, filters: ReportFilters) -> dict[int, int]:
    statement = (
        select(InquiryFeedback.score, func.count())
        .join(Inquiry, Inquiry.id == InquiryFeedback.inquiry_id)
        .where(*feedback_scope(filters))
        .group_by(InquiryFeedback.score)
    )
    return {int(score): int(count) for score, count in (await session.execute(statement)).all()}


@dataclass(frozen=True, slots=True)
class Comment:
    created_at: datetime
    score: int
    comment: str
    inquiry_number: str | None
    inquiry_id: int


async def latest_comments(session: AsyncSession, filters: ReportFilters, limit: int = 10) -> list[Comment]:
    statement = (
        select(InquiryFeedback.created_at, InquiryFeedback.score, InquiryFeedback.comment, Inquiry.number, Inquiry.id)
        .join(Inquiry, Inquiry.id == InquiryFeedback.inquiry_id)
        .where(*feedback_scope(filters), InquiryFeedback.comment != "")
        .order_by(InquiryFeedback.created_at.desc(), InquiryFeedback.id.desc())
        .limit(limit)
    )
    return [Comment(*row) for row in (await session.execute(statement)).all()]


@dataclass(frozen=True, slots=True)
class AgentRow:
    staff_id: int
    assigned: int
    resolved: int
    rated: int
    score_sum: int


async def agent_volume(session: AsyncSession, filters: ReportFilters) -> list[AgentRow]:
    """Per assignee: inquiries filed in the range, how many are resolved, their ratings."""
    statement = (
        select(
            Inquiry.assignee_id,
            func.count(Inquiry.id),
            _count_if(Inquiry.resolved_at.is_not(None)),
            func.count(InquiryFeedback.id),
            func.coalesce(func.sum(InquiryFeedback.score), 0),
        )
        .outerjoin(InquiryFeedback, InquiryFeedback.inquiry_id == Inquiry.id)
        .where(*inquiry_scope(filters), Inquiry.assignee_id.is_not(None))
        .group_by(Inquiry.assignee_id)
    )
    rows = (await session.execute(statement)).all()
    return [AgentRow(int(staff), int(a), int(r or 0), int(n), int(s)) for staff, a, r, n, s in rows]
