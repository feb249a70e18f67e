"""Charts about inquiries: volume, response and resolution times, SLA, backlog, CSAT, agents."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np

from gogaek.helpcenter.models import Category
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.reports import queries
from gogaek.reports.context import ReportContext, count_unit, day_label, hours_text, share, week_label, weeks_of
from gogaek.reports.queries import BACKLOG_BUCKETS, Durations
from gogaek.reports.schemas import CHANNELS, Chart
from gogaek.reports.stats import FloatArray, day_number, percentile_of, seoul_week_numbers, week_start
from gogaek.reports.svg import Reference, Series, bar_chart, format_number, line_chart
from gogaek.web.i18n import N_
from gogaek.web.i18n import gettext as _

TOP_CATEGORIES = 5
OTHER = N_("기타")
SLA_HEADERS = (
    *(N_("주 시작일"), N_("접수"), N_("첫 답변 준수"), N_("첫 답변 위반"), N_("첫 답변 준수율(%)")),
    *(N_("해결 준수"), N_("해결 위반"), N_("해결 준수율(%)")),
)


async def _volume(ctx: ReportContext) -> list[queries.VolumeRow]:
    rows: list[queries.VolumeRow] = await ctx.once("volume", lambda: queries.volume(ctx.session, ctx.filters))
    return rows


async def volume_by_channel(ctx: ReportContext) -> Chart:
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for row in await _volume(ctx):
        counts[row.day, row.channel] += row.count
    days = ctx.filters.days()
    channels = [channel for channel in CHANNELS if ctx.filters.channel in (None, channel)]
    rows: list[list[Any]] = [
        [day.isoformat(), *(counts[day, c] for c in channels), sum(counts[day, c] for c in channels)] for day in days
    ]
    series = [Series(_(CHANNELS[c]), [counts[day, c] for day in days]) for c in channels]
    title = _("채널별 문의 접수량 (일별)")
    total = sum(row[-1] for row in rows)
    return Chart(
        "volume_channel",
        title,
        [_("날짜"), *(_(CHANNELS[c]) for c in channels), _("합계")],
        rows,
        bar_chart([day_label(day) for day in days], series, title=title, unit=count_unit()),
        summary=[(_("접수 합계"), format_number(total, count_unit()))],
    )


async def volume_by_category(ctx: ReportContext) -> Chart:
    names = await ctx.names(Category)
    counts: dict[tuple[date, int], int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    for row in await _volume(ctx):
        counts[row.day, row.category_id] += row.count
        totals[row.category_id] += row.count
    ordered = sorted(totals, key=lambda category: (-totals[category], names.get(category, "")))
    days = ctx.filters.days()
    rows: list[list[Any]] = [
        [day.isoformat(), *(counts[day, c] for c in ordered), sum(counts[day, c] for c in ordered)] for day in days
    ]
    top, rest = ordered[:TOP_CATEGORIES], ordered[TOP_CATEGORIES:]
    series = [Series(names.get(c, f"#{c}"), [counts[day, c] for day in days]) for c in top]
    if rest:
        series.append(Series(_(OTHER), [sum(counts[day, c] for c in rest) for day in days]))
    title = _("카테고리별 문의 접수량 (일별)")
    return Chart(
        "volume_category",
        title,
        [_("날짜"), *(names.get(c, f"#{c}") for c in ordered), _("합계")],
        rows,
        bar_chart([day_label(day) for day in days], series, title=title, unit=count_unit()),
        note=_("그래프는 많은 순으로 %(top)s개 카테고리와 나머지(기타)를 보여 줍니다. CSV에는 모두 있습니다.")
        % {"top": TOP_CATEGORIES},
    )


async def durations(ctx: ReportContext) -> Durations:
    found: Durations = await ctx.once("durations", lambda: queries.durations(ctx.session, ctx.filters))
    return found


async def business_hours_to(ctx: ReportContext, which: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Filing moments, business hours from filing to first response (or resolution), assignees:
    only inquiries that have that moment."""
    clock = await ctx.clock()
    rows = await durations(ctx)
    end = rows.first_responded if which == "first_response" else rows.resolved
    have = ~np.isnan(end)
    hours = clock.between_many(rows.created[have], end[have]) / 3600.0
    return rows.created[have], hours, rows.assignee[have]


async def _time_chart(ctx: ReportContext, which: str) -> Chart:
    targets = await ctx.targets()
    target = (targets.first_response if which == "first_response" else targets.resolution).total_seconds() / 3600
    created, values, _assignees = await business_hours_to(ctx, which)
    week_of = seoul_week_numbers(created)
    weeks = weeks_of(ctx.filters)
    rows: list[list[Any]] = []
    for week in weeks:
        in_week = values[week_of == day_number(week)]
        within = int(np.count_nonzero(in_week <= target))
        rows.append(
            [
                week.isoformat(),
                int(in_week.size),
                _round(percentile_of(in_week, 0.5)),
                _round(percentile_of(in_week, 0.9)),
                share(within, int(in_week.size)),
            ]
        )
    if which == "first_response":
        title = _("첫 답변까지 걸린 업무시간 (주별 중앙값·p90)")
    else:
        title = _("해결까지 걸린 업무시간 (주별 중앙값·p90)")
    labels = [week_label(week) for week in weeks]
    series = [Series(_("중앙값"), [row[2] for row in rows]), Series("p90", [row[3] for row in rows])]
    reference = Reference(_("SLA 목표 %(hours)s시간") % {"hours": format_number(target)}, target)
    within_all = int(np.count_nonzero(values <= target))
    summary = [
        (_("건수"), format_number(int(values.size), count_unit())),
        (_("중앙값"), _hours_text(percentile_of(values, 0.5))),
        ("p90", _hours_text(percentile_of(values, 0.9))),
        (_("SLA 목표"), _("%(hours)s시간") % {"hours": format_number(target)}),
        (_("목표 이내"), _percent_text(share(within_all, int(values.size)))),
    ]
    return Chart(
        which,
        title,
        [_("주 시작일"), _("건수"), _("중앙값(업무시간)"), _("p90(업무시간)"), _("목표 이내 비율(%)")],
        rows,
        line_chart(labels, series, title=title, unit="h", reference=reference),
        summary=summary,
        note=_("업무시간은 영업시간(%(hours)s) 중 공휴일과 회사 휴무일을 뺀 시간입니다. 주는 접수일 기준입니다.")
        % {"hours": hours_text(await ctx.hours())},
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _hours_text(value: float | None) -> str:
    return "-" if value is None else _("%(hours)s시간") % {"hours": f"{value:,.1f}"}


def _percent_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


async def first_response_times(ctx: ReportContext) -> Chart:
    return await _time_chart(ctx, "first_response")


async def resolution_times(ctx: ReportContext) -> Chart:
    return await _time_chart(ctx, "resolution")


async def sla_compliance(ctx: ReportContext) -> Chart:
    per_week: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in await queries.sla_outcomes(ctx.session, ctx.filters):
        counts = per_week[week_start(row.day)]
        for index, value in enumerate(
            (row.filed, row.first_response_met, row.first_response_missed, row.resolution_met, row.resolution_missed)
        ):
            counts[index] += value
    weeks = weeks_of(ctx.filters)
    rows: list[list[Any]] = []
    for week in weeks:
        filed, fr_met, fr_missed, res_met, res_missed = per_week.get(week, [0, 0, 0, 0, 0])
        rows.append(
            [
                week.isoformat(),
                *(filed, fr_met, fr_missed, share(fr_met, fr_met + fr_missed)),
                *(res_met, res_missed, share(res_met, res_met + res_missed)),
            ]
        )
    totals = [sum(row[index] for row in rows) for index in (2, 3, 5, 6)]
    title = _("SLA 준수율 (주별, 접수일 기준)")
    series = [Series(_("첫 답변 준수율"), [row[4] for row in rows]), Series(_("해결 준수율"), [row[7] for row in rows])]
    return Chart(
        "sla",
        title,
        [
            _("주 시작일"),
            _("접수"),
            _("첫 답변 준수"),
            _("첫 답변 위반"),
            _("첫 답변 준수율(%)"),
            _("해결 준수"),
            _("해결 위반"),
            _("해결 준수율(%)"),
        ],
        rows,
        line_chart([week_label(week) for week in weeks], series, title=title, unit="%"),
        summary=[
            (_("첫 답변 준수율"), _percent_text(share(totals[0], totals[0] + totals[1]))),
            (_("첫 답변 위반"), format_number(totals[1], count_unit())),
            (_("해결 준수율"), _percent_text(share(totals[2], totals[2] + totals[3]))),
            (_("해결 위반"), format_number(totals[3], count_unit())),
        ],
        note=_("준수율 = 준수 ÷ (준수 + 위반). 아직 답변·해결 전이고 기한도 남은 문의는 빼고 셉니다."),
    )


async def backlog(ctx: ReportContext) -> Chart:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for bucket, status, count in await queries.backlog(ctx.session, ctx.filters, ctx.now):
        counts[bucket, status] += count
    statuses = [Status.RECEIVED, Status.IN_PROGRESS, Status.ANSWERED]
    buckets = [label for label, _limit in BACKLOG_BUCKETS]
    rows: list[list[Any]] = [
        [_(b), *(counts[b, s.value] for s in statuses), sum(counts[b, s.value] for s in statuses)] for b in buckets
    ]
    title = _("미해결 문의 (접수 후 경과 기간별)")
    series = [Series(_(STATUS_LABELS[s]), [counts[b, s.value] for b in buckets]) for s in statuses]
    return Chart(
        "backlog",
        title,
        [_("경과 기간"), *(_(STATUS_LABELS[s]) for s in statuses), _("합계")],
        rows,
        bar_chart([_(b) for b in buckets], series, title=title, unit=count_unit()),
        summary=[(_("미해결 합계"), format_number(sum(row[-1] for row in rows), count_unit()))],
        note=_("지금 열려 있는 문의(접수·처리중·답변완료)를 셉니다. 기간 조건은 종료일까지 접수된 문의로만 씁니다."),
    )


async def csat(ctx: ReportContext) -> Chart:
    distribution = await queries.csat_distribution(ctx.session, ctx.filters)
    total = sum(distribution.values())
    rows: list[list[Any]] = [
        [_("%(score)s점") % {"score": score}, distribution.get(score, 0), share(distribution.get(score, 0), total)]
        for score in range(1, 6)
    ]
    average = sum(score * count for score, count in distribution.items()) / total if total else None
    title = _("고객 만족도 점수 분포")
    return Chart(
        "csat",
        title,
        [_("점수"), _("건수"), _("비율(%)")],
        rows,
        bar_chart(
            [row[0] for row in rows], [Series(_("평가 수"), [row[1] for row in rows])], title=title, unit=count_unit()
        ),
        summary=[
            (_("평균"), "-" if average is None else _("%(score)s점") % {"score": f"{average:.2f}"}),
            (_("평가 수"), format_number(total, count_unit())),
        ],
        note=_("기간 안에 남긴 문의 평가(1–5점)입니다."),
    )


async def agents(ctx: ReportContext) -> Chart:
    names = await ctx.staff_names()
    _created, first_response, assignees = await business_hours_to(ctx, "first_response")
    rows: list[list[Any]] = []
    for agent in sorted(await queries.agent_volume(ctx.session, ctx.filters), key=lambda a: (-a.assigned, a.staff_id)):
        values = first_response[assignees == agent.staff_id]
        rows.append(
            [
                names.get(agent.staff_id, f"#{agent.staff_id}"),
                agent.assigned,
                agent.resolved,
                _round(percentile_of(values, 0.5)),
                _round(percentile_of(values, 0.9)),
                round(agent.score_sum / agent.rated, 2) if agent.rated else None,
                agent.rated,
            ]
        )
    title = _("상담사별 배정 문의")
    labels = [row[0] for row in rows]
    series = [Series(_("해결"), [row[2] for row in rows]), Series(_("미해결"), [row[1] - row[2] for row in rows])]
    return Chart(
        "agents",
        title,
        [
            _("상담사"),
            _("배정 문의"),
            _("해결"),
            _("첫 답변 중앙값(업무시간)"),
            _("첫 답변 p90(업무시간)"),
            _("평점 평균"),
            _("평점 수"),
        ],
        rows,
        bar_chart(labels, series, title=title, unit=count_unit()),
        note=_("기간 안에 접수되어 지금 그 상담사에게 배정된 문의입니다. 평점은 그 문의들의 평가입니다."),
    )
