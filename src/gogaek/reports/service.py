"""The report as a whole: which charts exist, in which section, and how to build one or all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.errors import ProblemError, not_found
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Team
from gogaek.korean.pii import mask_pii
from gogaek.reports import channel_charts, inquiry_charts, queries
from gogaek.reports.context import ReportContext
from gogaek.reports.schemas import Chart, ReportFilters
from gogaek.sqlite_inline import offload_long_reads
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _

Builder = Callable[[ReportContext], Awaitable[Chart]]

SECTIONS: tuple[tuple[str, str, tuple[tuple[str, Builder], ...]], ...] = (
    (
        "volume",
        N_("문의량"),
        (("volume_channel", inquiry_charts.volume_by_channel), ("volume_category", inquiry_charts.volume_by_category)),
    ),
    (
        "times",
        N_("응답·해결 시간 (업무시간)"),
        (("first_response", inquiry_charts.first_response_times), ("resolution", inquiry_charts.resolution_times)),
    ),
    (
        "sla",
        N_("SLA 준수와 미해결 문의"),
        (("sla", inquiry_charts.sla_compliance), ("backlog", inquiry_charts.backlog)),
    ),
    ("csat", N_("고객 만족도"), (("csat", inquiry_charts.csat),)),
    (
        "self_service",
        N_("셀프서비스"),
        (
            ("searches", channel_charts.searches),
            ("articles", channel_charts.article_votes),
            ("chat", channel_charts.chat_deflection),
        ),
    ),
    ("agents", N_("상담사별"), (("agents", inquiry_charts.agents),)),
    ("phone", N_("전화 상담"), (("phone", channel_charts.phone),)),
)
BUILDERS: dict[str, Builder] = {key: builder for _id, _title, charts in SECTIONS for key, builder in charts}


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    charts: list[Chart]


@dataclass(frozen=True, slots=True)
class CommentView:
    created_at: datetime
    score: int
    text: str
    inquiry_number: str | None
    inquiry_id: int


def chart_key(raw: str | None) -> str:
    """The ``chart`` query value of an export: one of :data:`BUILDERS` (400 otherwise)."""
    if not raw:
        raise ProblemError(400, "report_chart_missing", _("내려받을 그래프(chart)를 골라 주세요."))
    if raw not in BUILDERS:
        raise ProblemError(400, "report_chart_unknown", _("없는 그래프입니다: %(chart)s") % {"chart": raw[:40]})
    return raw


async def check_filter_targets(session: AsyncSession, filters: ReportFilters) -> None:
    """A category or team id that does not exist is a bad filter, not an empty report."""
    errors = []
    if filters.category_id is not None and await session.get(Category, filters.category_id) is None:
        errors.append({"field": "category", "message": _("없는 카테고리입니다. 목록에서 골라 주세요.")})
    if filters.team_id is not None and await session.scalar(select(Team.id).where(Team.id == filters.team_id)) is None:
        errors.append({"field": "team", "message": _("없는 팀입니다. 목록에서 골라 주세요.")})
    if errors:
        raise ProblemError(400, "report_filter_invalid", " ".join(e["message"] for e in errors), errors=errors)


async def build_chart(session: AsyncSession, key: str, filters: ReportFilters, now: datetime) -> Chart:
    builder = BUILDERS.get(key)
    if builder is None:
        raise not_found("리포트")
    await offload_long_reads(session)  # months of inquiries: not on the loop's thread (SQLite)
    await check_filter_targets(session, filters)
    return await builder(ReportContext(session, filters, now))


async def build_report(session: AsyncSession, filters: ReportFilters, now: datetime) -> list[Section]:
    await offload_long_reads(session)  # twelve charts over months of inquiries: not on the loop's thread (SQLite)
    await check_filter_targets(session, filters)
    context = ReportContext(session, filters, now)
    return [
        Section(key, _(title), [await builder(context) for _key, builder in charts]) for key, title, charts in SECTIONS
    ]


async def latest_comments(session: AsyncSession, filters: ReportFilters) -> list[CommentView]:
    """The newest rating comments, with personal details masked (supervisors read them in passing)."""
    return [
        CommentView(c.created_at, c.score, mask_pii(c.comment).text, c.inquiry_number, c.inquiry_id)
        for c in await queries.latest_comments(session, filters)
    ]
