"""Charts about inquiries: volume, response and resolution times, SLA, backlog, CSAT, agents."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np

from gogaek.calendar.service import weekly_text
from gogaek.helpcenter.models import Category
from gogaek.inquiries.workflow import STATUS_LABELS, Status
from gogaek.reports import queries
from gogaek.reports.context import ReportContext, day_label, share, week_label, weeks_of
from gogaek.reports.queries import BACKLOG_BUCKETS, Durations
from gogaek.reports.schemas import CHANNELS, Chart
from gogaek.reports.stats import FloatArray, day_number, percentile_of, seoul_week_numbers, week_start
from gogaek.reports.svg import Reference, Series, bar_chart, format_number, line_chart

TOP_CATEGORIES = 5
OTHER = "기타"
SLA_HEADERS = (
    *("주 시작일", "접수", "첫 답변 준수", "첫 답변 위반", "첫 답변 준수율(%)"),
    *("해결 준수", "해결 위반", "해결 준수율(%)"),
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
    series = [Series(CHANNELS[c], [counts[day, c] for day in days]) for c in channels]
    title = "채널별 문의 접수량 (일별)"
    total = sum(row[-1] for row in rows)
    return Chart(
        "volume_channel",
        title,
        ["날짜", *(CHANNELS[c] for c in channels), "합계"],
        rows,
        bar_chart([day_label(day) for day in days], series, title=title, unit="건"),
        summary=[("접수 합계", format_number(total, "건"))],
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
        series.append(Series(OTHER, [sum(counts[day, c] for c in rest) for day in days]))
    title = "카테고리별 문의 접수량 (일별)"
    return Chart(
        "volume_category",
        title,
        ["날짜", *(names.get(c, f"#{c}") for c in ordered), "합계"],
        rows,
        bar_chart([day_label(day) for day in days], series, title=title, unit="건"),
        note=f"그래프는 많은 순으로 {TOP_CATEGORIES}개 카테고리와 나머지(기타)를 보여 줍니다. CSV에는 모두 있습니다.",
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
    name = "첫 답변" if which == "first_response" else "해결"
    title = f"{name}까지 걸린 업무시간 (주별 중앙값·p90)"
    labels = [week_label(week) for week in weeks]
    series = [Series("중앙값", [row[2] for row in rows]), Series("p90", [row[3] for row in rows])]
    reference = Reference(f"SLA 목표 {format_number(target)}시간", target)
    within_all = int(np.count_nonzero(values <= target))
    summary = [
        ("건수", format_number(int(values.size), "건")),
        ("중앙값", _hours_text(percentile_of(values, 0.5))),
        ("p90", _hours_text(percentile_of(values, 0.9))),
        ("SLA 목표", f"{format_number(target)}시간"),
        ("목표 이내", _percent_text(share(within_all, int(values.size)))),
    ]
    return Chart(
        which,
        title,
        ["주 시작일", "건수", "중앙값(업무시간)", "p90(업무시간)", "목표 이내 비율(%)"],
        rows,
        line_chart(labels, series, title=title, unit="h", reference=reference),
        summary=summary,
        note=f"업무시간은 영업시간({weekly_text(await ctx.hours())}) 중 공휴일과 회사 휴무일을 뺀 시간입니다. "
        "주는 접수일 기준입니다.",
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _hours_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}시간"


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
    title = "SLA 준수율 (주별, 접수일 기준)"
    series = [Series("첫 답변 준수율", [row[4] for row in rows]), Series("해결 준수율", [row[7] for row in rows])]
    return Chart(
        "sla",
        title,
        [
            "주 시작일",
            "접수",
            "첫 답변 준수",
            "첫 답변 위반",
            "첫 답변 준수율(%)",
            "해결 준수",
            "해결 위반",
            "해결 준수율(%)",
        ],
        rows,
        line_chart([week_label(week) for week in weeks], series, title=title, unit="%"),
        summary=[
            ("첫 답변 준수율", _percent_text(share(totals[0], totals[0] + totals[1]))),
            ("첫 답변 위반", format_number(totals[1], "건")),
            ("해결 준수율", _percent_text(share(totals[2], totals[2] + totals[3]))),
            ("해결 위반", format_number(totals[3], "건")),
        ],
        note="준수율 = 준수 ÷ (준수 + 위반). 아직 답변·해결 전이고 기한도 남은 문의는 빼고 셉니다.",
    )


async def backlog(ctx: ReportContext) -> Chart:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for bucket, status, count in await queries.backlog(ctx.session, ctx.filters, ctx.now):
        counts[bucket, status] += count
    statuses = [Status.RECEIVED, Status.IN_PROGRESS, Status.ANSWERED]
    buckets = [label for label, _limit in BACKLOG_BUCKETS]
    rows: list[list[Any]] = [
        [b, *(counts[b, s.value] for s in statuses), sum(counts[b, s.value] for s in statuses)] for b in buckets
    ]
    title = "미해결 문의 (접수 후 경과 기간별)"
    series = [Series(STATUS_LABELS[s], [counts[b, s.value] for b in buckets]) for s in statuses]
    return Chart(
        "backlog",
        title,
        ["경과 기간", *(STATUS_LABELS[s] for s in statuses), "합계"],
        rows,
        bar_chart(buckets, series, title=title, unit="건"),
        summary=[("미해결 합계", format_number(sum(row[-1] for row in rows), "건"))],
        note="지금 열려 있는 문의(접수·처리중·답변완료)를 셉니다. 기간 조건은 종료일까지 접수된 문의로만 씁니다.",
    )


async def csat(ctx: ReportContext) -> Chart:
    distribution = await queries.csat_distribution(ctx.session, ctx.filters)
    total = sum(distribution.values())
    rows: list[list[Any]] = [
        [f"{score}점", distribution.get(score, 0), share(distribution.get(score, 0), total)] for score in range(1, 6)
    ]
    average = sum(score * count for score, count in distribution.items()) / total if total else None
    title = "고객 만족도 점수 분포"
    return Chart(
        "csat",
        title,
        ["점수", "건수", "비율(%)"],
        rows,
        bar_chart([row[0] for row in rows], [Series("평가 수", [row[1] for row in rows])], title=title, unit="건"),
        summary=[("평균", "-" if average is None else f"{average:.2f}점"), ("평가 수", format_number(total, "건"))],
        note="기간 안에 남긴 문의 평가(1–5점)입니다.",
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
    title = "상담사별 배정 문의"
    labels = [row[0] for row in rows]
    series = [Series("해결", [row[2] for row in rows]), Series("미해결", [row[1] - row[2] for row in rows])]
    return Chart(
        "agents",
        title,
        ["상담사", "배정 문의", "해결", "첫 답변 중앙값(업무시간)", "첫 답변 p90(업무시간)", "평점 평균", "평점 수"],
        rows,
        bar_chart(labels, series, title=title, unit="건"),
        note="기간 안에 접수되어 지금 그 상담사에게 배정된 문의입니다. 평점은 그 문의들의 평가입니다.",
    )
