"""Charts about self-service (searches, FAQ votes, the chat bot) and the phone."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from gogaek.reports import channels
from gogaek.reports.context import ReportContext, count_unit, day_label, share, week_label, weeks_of
from gogaek.reports.schemas import Chart
from gogaek.reports.stats import week_start
from gogaek.reports.svg import Series, bar_chart, format_number, line_chart
from gogaek.web.i18n import gettext as _


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


async def searches(ctx: ReportContext) -> Chart:
    by_day = {row.day: row for row in await channels.searches(ctx.session, ctx.filters)}
    days = ctx.filters.days()
    rows: list[list[Any]] = []
    for day in days:
        row = by_day.get(day)
        rows.append([day.isoformat(), *((row.searches, row.zero_results, row.abstained) if row else (0, 0, 0))])
    totals = [sum(row[index] for row in rows) for index in (1, 2, 3)]
    title = _("고객 검색 (일별)")
    series = [
        Series(_("검색"), [row[1] for row in rows]),
        Series(_("결과 없음"), [row[2] for row in rows]),
        Series(_("답 보류"), [row[3] for row in rows]),
    ]
    return Chart(
        "searches",
        title,
        [_("날짜"), _("검색"), _("결과 없음"), _("답 보류")],
        rows,
        line_chart([day_label(day) for day in days], series, title=title, unit=count_unit()),
        summary=[
            (_("검색"), format_number(totals[0], count_unit())),
            (_("결과 없음"), f"{format_number(totals[1], count_unit())} ({_percent(share(totals[1], totals[0]))})"),
            (_("답 보류"), f"{format_number(totals[2], count_unit())} ({_percent(share(totals[2], totals[0]))})"),
        ],
        note=_(
            "도움말 검색 페이지, 검색 API, 채팅 봇의 검색입니다. "
            "답 보류는 글은 찾았지만 답으로 보이는 글이 없던 검색입니다."
        ),
    )


async def article_votes(ctx: ReportContext) -> Chart:
    votes = await channels.article_votes(ctx.session, ctx.filters)
    total = votes[True] + votes[False]
    rows: list[list[Any]] = [
        [_("도움이 됐어요"), votes[True], share(votes[True], total)],
        [_("도움이 안 됐어요"), votes[False], share(votes[False], total)],
    ]
    title = _("자주 묻는 질문 평가")
    return Chart(
        "articles",
        title,
        [_("평가"), _("건수"), _("비율(%)")],
        rows,
        bar_chart(
            [row[0] for row in rows], [Series(_("평가 수"), [row[1] for row in rows])], title=title, unit=count_unit()
        ),
        summary=[
            (_("도움이 됐어요 비율"), _percent(share(votes[True], total))),
            (_("평가 수"), format_number(total, count_unit())),
        ],
    )


async def chat_deflection(ctx: ReportContext) -> Chart:
    per_week: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in await channels.chat_outcomes(ctx.session, ctx.filters):
        counts = per_week[week_start(row.day)]
        for index, value in enumerate((row.started, row.bot_answered, row.handed_over, row.unanswered)):
            counts[index] += value
    weeks = weeks_of(ctx.filters)
    rows: list[list[Any]] = []
    for week in weeks:
        started, bot, handed, unanswered = per_week.get(week, [0, 0, 0, 0])
        rows.append([week.isoformat(), started, bot, handed, unanswered, share(bot, bot + handed)])
    bot_total, handed_total = sum(row[2] for row in rows), sum(row[3] for row in rows)
    title = _("채팅: 봇이 끝낸 대화와 상담사 연결 (주별)")
    series = [
        Series(_("봇 답변으로 종료"), [row[2] for row in rows]),
        Series(_("상담사 연결"), [row[3] for row in rows]),
    ]
    return Chart(
        "chat",
        title,
        [
            _("주 시작일"),
            _("시작된 채팅"),
            _("봇 답변으로 종료"),
            _("상담사 연결"),
            _("답변 없이 종료"),
            _("디플렉션율(%)"),
        ],
        rows,
        bar_chart([week_label(week) for week in weeks], series, title=title, unit=count_unit()),
        summary=[
            (_("시작된 채팅"), format_number(sum(row[1] for row in rows), count_unit())),
            (_("디플렉션율"), _percent(share(bot_total, bot_total + handed_total))),
        ],
        note=_(
            "디플렉션율 = 봇 답변으로 종료 ÷ (봇 답변으로 종료 + 상담사 연결). 아직 봇과 이야기 중인 대화는 빠집니다."
        ),
    )


async def phone(ctx: ReportContext) -> Chart:
    callbacks = await channels.callback_counts(ctx.session, ctx.filters)
    calls = await channels.call_counts(ctx.session, ctx.filters)
    rows: list[list[Any]] = [
        [_("콜백 전체"), callbacks["all"]],
        [_("고객이 예약한 콜백"), callbacks["booked"]],
        [_("부재중 전화로 생긴 콜백"), callbacks["from_missed_call"]],
        [_("통화 완료"), callbacks["completed"]],
        [_("부재(재시도 끝)"), callbacks["missed"]],
        [_("취소"), callbacks["cancelled"]],
        [_("걸려 온 전화"), calls["inbound"]],
        [_("받은 전화"), calls["answered"]],
        [_("포기한 전화"), calls["abandoned"]],
    ]
    title = _("전화 상담: 콜백과 걸려 온 전화")
    return Chart(
        "phone",
        title,
        [_("항목"), _("건수")],
        rows,
        bar_chart(
            [row[0] for row in rows], [Series(_("건수"), [row[1] for row in rows])], title=title, unit=count_unit()
        ),
        summary=[
            (_("콜백 완료율"), _percent(share(callbacks["completed"], callbacks["all"]))),
            (_("전화 응답률"), _percent(share(calls["answered"], calls["inbound"]))),
        ],
        note=_("콜백은 기간 안에 생긴 것, 전화는 기간 안에 걸려 온 것입니다. 포기 = 아무도 받지 않고 끊긴 전화."),
    )
