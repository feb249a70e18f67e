"""The report dashboard (/console/reports) and its CSV exports, for supervisors and admins.

Stable hooks for browser tests:
  /console/reports   form#report-filter (input#filter-from[name=from], input#filter-to[name=to],
                     select#filter-channel[name=channel], select#filter-category[name=category],
                     select#filter-team[name=team], button#filter-submit), #report-errors (bad filters),
                     section.report-section[data-section], figure.report-chart[data-chart=<key>] > svg,
                     a.report-csv (the chart's CSV with the same filters), dl.report-summary,
                     table.report-table, ol#csat-comments
  /console/reports/csv?chart=<key>&<filters>   the chart's table as CSV (UTF-8 with BOM)

Every request checks the role again (``PageAdmin``): an agent gets 403, someone signed out
the sign-in page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from gogaek.calendar.service import load_business_hours
from gogaek.db import utcnow
from gogaek.deps import SessionDep
from gogaek.errors import ProblemError
from gogaek.helpcenter.models import Category
from gogaek.identity.models import Team
from gogaek.reports.context import hours_text
from gogaek.reports.export import to_csv
from gogaek.reports.schemas import CHANNELS, ReportFilters, parse_filters
from gogaek.reports.service import (
    BUILDERS,
    build_chart,
    build_report,
    chart_key,
    check_filter_targets,
    latest_comments,
)
from gogaek.reports.stats import seoul_day
from gogaek.web.auth import PageAdmin
from gogaek.web.views import render

router = APIRouter(include_in_schema=False)


def csv_link(key: str, filters: ReportFilters) -> str:
    return f"/console/reports/csv?{urlencode({'chart': key, **filters.query()})}"


@router.get("/console/reports", response_class=HTMLResponse)
async def reports_page(request: Request, session: SessionDep, agent: PageAdmin) -> HTMLResponse:
    now = utcnow()
    categories = (await session.execute(select(Category.id, Category.name).order_by(Category.position))).all()
    teams = (await session.execute(select(Team.id, Team.name).order_by(Team.name))).all()
    raw = {key: request.query_params.get(key, "") for key in ("from", "to", "channel", "category", "team")}
    context: dict[str, Any] = {
        "agent": agent,
        "channels": CHANNELS,
        "categories": categories,
        "teams": teams,
        "raw": raw,
    }
    try:
        filters = parse_filters(request.query_params, seoul_day(now.timestamp()))
        await check_filter_targets(session, filters)
    except ProblemError as problem:
        errors = [error["message"] for error in problem.errors] or [problem.message]
        return render(request, "console/reports.html", {**context, "errors": errors, "sections": []}, status=400)
    context["raw"] = {**raw, **filters.query()}
    sections = await build_report(session, filters, now)
    return render(
        request,
        "console/reports.html",
        {
            **context,
            "errors": [],
            "filters": filters,
            "sections": sections,
            "csv_links": {key: csv_link(key, filters) for key in BUILDERS},
            "comments": await latest_comments(session, filters),
            "generated_at": now,
            "hours_text": hours_text(await load_business_hours(session)),
        },
    )


@router.get("/console/reports/csv")
async def report_csv(request: Request, session: SessionDep, _: PageAdmin) -> Response:
    now = utcnow()
    key = chart_key(request.query_params.get("chart"))
    filters = parse_filters(request.query_params, seoul_day(now.timestamp()))
    chart = await build_chart(session, key, filters, now)
    name = f"report-{key}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return Response(
        to_csv(chart.headers, chart.rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
