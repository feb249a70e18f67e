"""Report reads outside inquiries: self-service (searches, article votes, the chat bot) and phone.

The channel filter is about inquiries and does not apply here; category and team apply where
the record has one (votes by the article's category, chats by category and team, callbacks by
category). Searches and calls have neither, so only the dates filter them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Boolean, ColumnElement, Integer, String, and_, case, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.chat.models import ChatStatus, Conversation
from gogaek.db import UTCDateTime
from gogaek.helpcenter.models import Article, ArticleVote
from gogaek.phone.models import Callback, CallbackKind, CallbackStatus, CallLog
from gogaek.reports.queries import as_date, dialect, seoul_day
from gogaek.reports.schemas import ReportFilters

# The search log (gogaek.search, migration 0014) read as a plain table: reports need four columns.
search_queries = table(
    "search_queries",
    column("created_at", UTCDateTime()),
    column("source", String()),
    column("result_count", Integer()),
    column("no_match", Boolean()),
)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


@dataclass(frozen=True, slots=True)
class SearchDay:
    day: date
    searches: int
    zero_results: int
    abstained: int


async def searches(session: AsyncSession, filters: ReportFilters) -> list[SearchDay]:
    """Customer searches (help-center page, API, chat bot) per Seoul day."""
    day = seoul_day(search_queries.c.created_at, dialect(session)).label("day")
    statement = (
        select(
            day,
            func.count(),
            _count_if(search_queries.c.result_count == 0),
            _count_if(and_(search_queries.c.result_count > 0, search_queries.c.no_match.is_(True))),
        )
        .where(search_queries.c.created_at >= filters.start_at, search_queries.c.created_at < filters.end_at)
        .group_by(day)
    )
    rows = (await session.execute(statement)).all()
    days = [SearchDay(as_date(d), int(n), int(z or 0), int(a or 0)) for d, n, z, a in rows]
    return sorted(days, key=lambda row: row.day)


async def article_votes(session: AsyncSession, filters: ReportFilters) -> dict[bool, int]:
    """도움이 됐어요 (True) and 도움이 안 됐어요 (False) votes given within the range."""
    conditions = [ArticleVote.created_at >= filters.start_at, ArticleVote.created_at < filters.end_at]
    statement = select(ArticleVote.helpful, func.count()).where(*conditions)
    if filters.category_id is not None:
        statement = statement.join(Article, Article.id == ArticleVote.article_id).where(
            Article.category_id == filters.category_id
        )
    rows = (await session.execute(statement.group_by(ArticleVote.helpful))).all()
    counts = {True: 0, False: 0}
    counts.update({bool(helpful): int(count) for helpful, count in rows})
    return counts


@dataclass(frozen=True, slots=True)
class ChatOutcome:
    day: date
    started: int
    bot_answered: int  # ended without a person, after the bot answered at least once
    handed_over: int  # queued for a person (or taken by one)
    unanswered: int  # ended without a person and without a bot answer


async def chat_outcomes(session: AsyncSession, filters: ReportFilters) -> list[ChatOutcome]:
    day = seoul_day(Conversation.created_at, dialect(session)).label("day")
    handed = (Conversation.queued_at.is_not(None)) | (Conversation.agent_id.is_not(None))
    ended_alone = and_(Conversation.status == ChatStatus.ENDED.value, ~handed)
    conditions = [Conversation.created_at >= filters.start_at, Conversation.created_at < filters.end_at]
    if filters.category_id is not None:
        conditions.append(Conversation.category_id == filters.category_id)
    if filters.team_id is not None:
        conditions.append(Conversation.team_id == filters.team_id)
    statement = (
        select(
            day,
            func.count(),
            _count_if(and_(ended_alone, Conversation.bot_answered_seq > 0)),
            _count_if(handed),
            _count_if(and_(ended_alone, Conversation.bot_answered_seq == 0)),
        )
        .where(*conditions)
        .group_by(day)
    )
    rows = (await session.execute(statement)).all()
    days = [ChatOutcome(as_date(d), int(n), int(b or 0), int(h or 0), int(u or 0)) for d, n, b, h, u in rows]
    return sorted(days, key=lambda row: row.day)


async def callback_counts(session: AsyncSession, filters: ReportFilters) -> dict[str, int]:
    """Callbacks created within the range: booked by customers, from missed calls, and their outcomes."""
    conditions = [Callback.created_at >= filters.start_at, Callback.created_at < filters.end_at]
    if filters.category_id is not None:
        conditions.append(Callback.category_id == filters.category_id)
    statement = select(
        func.count(),
        _count_if(Callback.kind == CallbackKind.BOOKED.value),
        _count_if(Callback.kind == CallbackKind.MISSED_CALL.value),
        _count_if(Callback.status == CallbackStatus.COMPLETED.value),
        _count_if(Callback.status == CallbackStatus.MISSED.value),
        _count_if(Callback.status == CallbackStatus.CANCELLED.value),
    ).where(*conditions)
    row = (await session.execute(statement)).one()
    keys = ("all", "booked", "from_missed_call", "completed", "missed", "cancelled")
    return {key: int(value or 0) for key, value in zip(keys, row, strict=True)}


async def call_counts(session: AsyncSession, filters: ReportFilters) -> dict[str, int]:
    """Inbound calls the phone system reported within the range: answered, abandoned, still ringing."""
    conditions = [
        CallLog.direction == "in",
        CallLog.started_at >= filters.start_at,
        CallLog.started_at < filters.end_at,
    ]
    statement = select(
        func.count(),
        _count_if(CallLog.answered_at.is_not(None)),
        _count_if(and_(CallLog.answered_at.is_(None), CallLog.state == "ended")),
    ).where(*conditions)
    total, answered, abandoned = (await session.execute(statement)).one()
    return {"inbound": int(total), "answered": int(answered or 0), "abandoned": int(abandoned or 0)}
