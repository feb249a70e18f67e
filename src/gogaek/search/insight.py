"""The search insight loop: what customers search for, what they do not find, and turning a
query into an FAQ phrasing the next search finds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Integer, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.audit.service import record_audit
from gogaek.db import utcnow
from gogaek.errors import ProblemError
from gogaek.helpcenter import service as helpcenter_service
from gogaek.helpcenter.models import Article
from gogaek.helpcenter.schemas import ArticleUpdate
from gogaek.identity.models import StaffUser
from gogaek.search.log import normalize_query
from gogaek.search.models import SearchQueryLog
from gogaek.web.i18n import N_, gettext

MAX_ALTERNATES = 30  # as ArticleUpdate allows


@dataclass(frozen=True, slots=True)
class QueryStat:
    """Searches that count as one query (``normalize_query``) over the period."""

    query: str  # the latest wording, as masked when it was logged
    searches: int
    unanswered: int  # no result at all, or only results the engine called no match
    last_searched: datetime

    @property
    def unanswered_share(self) -> float:
        return self.unanswered / self.searches if self.searches else 0.0


def _unanswered() -> ColumnElement[bool]:
    return or_(SearchQueryLog.no_match.is_(True), SearchQueryLog.result_count == 0)


async def query_stats(
    session: AsyncSession, *, days: int, limit: int, only_unanswered: bool = False, now: datetime | None = None
) -> list[QueryStat]:
    """The most searched queries of the last ``days`` days, most searched first."""
    since = (now or utcnow()) - timedelta(days=days)
    unanswered = _unanswered()
    grouped = (
        select(
            SearchQueryLog.normalized,
            func.count().label("searches"),
            func.sum(case((unanswered, 1), else_=0)).cast(Integer).label("unanswered"),
            func.max(SearchQueryLog.id).label("latest_id"),
        )
        .where(SearchQueryLog.created_at >= since)
        .group_by(SearchQueryLog.normalized)
    )
    if only_unanswered:
        grouped = grouped.where(unanswered)
    top = grouped.order_by(func.count().desc(), SearchQueryLog.normalized).limit(limit).subquery()
    rows = await session.execute(
        select(top.c.searches, top.c.unanswered, SearchQueryLog.query, SearchQueryLog.created_at)
        .join(SearchQueryLog, SearchQueryLog.id == top.c.latest_id)
        .order_by(top.c.searches.desc(), SearchQueryLog.query)
    )
    return [QueryStat(row.query, row.searches, row.unanswered or 0, row.created_at) for row in rows]


async def add_alternate_phrasing(session: AsyncSession, actor: StaffUser, article_id: int, query: str) -> Article:
    """Adds a customer's wording to an article's alternate phrasings (and the audit log), one commit."""
    article = await helpcenter_service.get_article_for_edit(session, article_id)
    phrasings = [article.question, *(article.alternates or [])]
    if normalize_query(query) in {normalize_query(phrasing) for phrasing in phrasings}:
        raise ProblemError(409, "phrasing_exists", N_("이미 이 글의 질문이나 다른 표현에 있습니다."))
    if len(article.alternates or []) >= MAX_ALTERNATES:
        raise ProblemError(
            422,
            "too_many_alternates",
            gettext("다른 표현은 %(max)s개까지입니다. 글에서 덜 쓰는 표현을 지운 뒤 추가해 주세요.")
            % {"max": MAX_ALTERNATES},
        )
    record_audit(
        session, actor, "faq.alternate_added", target_type="article", target_id=article.id, detail={"phrasing": query}
    )
    return await helpcenter_service.update_article(
        session, article.id, ArticleUpdate(alternates=[*(article.alternates or []), query])
    )
