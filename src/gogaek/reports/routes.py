"""The reports as JSON for supervisors and admins: GET /api/v1/admin/reports[?chart=<key>&<filters>]."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gogaek.db import utcnow
from gogaek.deps import CurrentAdmin, SessionDep
from gogaek.reports.schemas import Chart, ChartPublic, parse_filters
from gogaek.reports.service import build_chart, build_report, chart_key
from gogaek.reports.stats import seoul_day

router = APIRouter(prefix="/api/v1/admin/reports", tags=["reports"])


def _public(chart: Chart) -> ChartPublic:
    return ChartPublic(
        key=chart.key,
        title=chart.title,
        headers=list(chart.headers),
        rows=chart.rows,
        summary=dict(chart.summary),
        note=chart.note,
    )


@router.get("")
async def get_reports(request: Request, session: SessionDep, _: CurrentAdmin) -> list[ChartPublic]:
    """Every chart's table (or only ``chart``'s) with the same filters as the dashboard."""
    now = utcnow()
    filters = parse_filters(request.query_params, seoul_day(now.timestamp()))
    raw_key = request.query_params.get("chart")
    if raw_key is not None:
        return [_public(await build_chart(session, chart_key(raw_key), filters, now))]
    sections = await build_report(session, filters, now)
    return [_public(chart) for section in sections for chart in section.charts]
