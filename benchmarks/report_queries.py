"""Report queries (/console/reports) on 100,000 inquiries: every chart's time against a count(*).

For each backend a private database (a new PostgreSQL database on the running server, a new
SQLite file) is migrated and filled by ``gogaek demo generate``'s own function with a seed:
inquiries over ``--days`` days with their threads and ratings, plus the chats, searches,
callbacks and calls the generator adds for the reports. Then, one call at a time and in-process
(the database work and the Python around it; no HTTP), every chart is built with each of
several filters (30 and 90 days, 7 days, a channel, the busiest category, a team), ``--repeats``
times, after one untimed round. Each build uses a fresh session, so a chart pays for its own
reads. The baseline, measured in the same run with the same filters, is the plainest query
over the same rows: ``SELECT count(*) FROM inquiries`` within the date range (and filters).
The whole dashboard (all charts in one request, sharing the durations read) is timed as well.

    .venv/bin/python benchmarks/report_queries.py [--inquiries 100000] [--days 90]
        [--backends postgres,sqlite] [--repeats 10] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import inquiry_load
from common import table, write_section
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.demo import load_demo_content
from gogaek.demo.generate import GeneratePlan, generate_history
from gogaek.inquiries.models import Inquiry
from gogaek.migrate import upgrade_database
from gogaek.reports.queries import inquiry_scope
from gogaek.reports.schemas import ReportFilters, parse_filters
from gogaek.reports.service import BUILDERS, build_chart, build_report
from gogaek.reports.stats import seoul_day

SEED = 20261207
TARGET_MS = 500.0


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True, slots=True)
class BackendReport:
    backend: str
    inquiries: int
    rows_in_range: int
    generate_seconds: float
    baseline: Result
    charts: list[Result]
    dashboard: Result


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


async def filter_sets(engine: AsyncEngine) -> list[tuple[str, ReportFilters]]:
    """Filters a supervisor would use, with the busiest category and team of the generated data."""
    today = seoul_day(utcnow().timestamp())
    async with create_sessionmaker(engine)() as session:
        category = await session.scalar(
            select(Inquiry.category_id).group_by(Inquiry.category_id).order_by(func.count().desc()).limit(1)
        )
        team = await session.scalar(
            select(Inquiry.team_id)
            .where(Inquiry.team_id.is_not(None))
            .group_by(Inquiry.team_id)
            .order_by(func.count().desc())
            .limit(1)
        )

    def days(count: int, **extra: str) -> ReportFilters:
        start = today - timedelta(days=count - 1)
        return parse_filters({"from": start.isoformat(), "to": today.isoformat(), **extra}, today)

    return [
        ("30일", days(30)),
        ("90일", days(90)),
        ("7일", days(7)),
        ("90일·웹", days(90, channel="web")),
        ("90일·카테고리", days(90, category=str(category))),
        ("90일·팀", days(90, team=str(team))),
    ]


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000.0


async def measure(
    engine: AsyncEngine, filters: list[tuple[str, ReportFilters]], repeats: int
) -> tuple[Result, list[Result], Result]:
    sessions = create_sessionmaker(engine)
    now = utcnow()

    async def count(chosen: ReportFilters) -> None:
        async with sessions() as session:
            await session.scalar(select(func.count()).select_from(Inquiry).where(*inquiry_scope(chosen)))

    async def chart(key: str, chosen: ReportFilters) -> None:
        async with sessions() as session:
            await build_chart(session, key, chosen, now)

    async def dashboard(chosen: ReportFilters) -> None:
        async with sessions() as session:
            await build_report(session, chosen, now)

    jobs: list[tuple[str, Callable[[ReportFilters], Awaitable[None]]]] = [("count(*) baseline", count)]
    jobs += [(key, lambda chosen, key=key: chart(key, chosen)) for key in BUILDERS]  # type: ignore[misc]
    jobs.append(("대시보드 전체 (12개 그래프)", dashboard))
    samples: dict[str, list[float]] = {name: [] for name, _ in jobs}
    for _name, chosen in filters:  # untimed round: connections, statement caches, the OS page cache
        for _job, call in jobs:
            await call(chosen)
    for _ in range(repeats):
        for _name, chosen in filters:
            for job, call in jobs:
                samples[job].append(await timed(lambda call=call, chosen=chosen: call(chosen)))  # type: ignore[misc]
    results = [Result(name, statistics.median(values), p95(values)) for name, values in samples.items()]
    return results[0], results[1:-1], results[-1]


async def measure_backend(backend: str, args: argparse.Namespace, workdir: Path) -> BackendReport:
    options = inquiry_load.Options(jobs_enabled=False)
    async with inquiry_load.fresh_database(backend, workdir, options) as settings:
        engine = create_engine(settings)
        try:
            await upgrade_database(engine)
            async with create_sessionmaker(engine)() as session:
                await load_demo_content(session)  # categories and the FAQ (votes need articles)
            started = time.perf_counter()
            plan = GeneratePlan(inquiries=args.inquiries, days=args.days, seed=SEED)
            await generate_history(engine, settings, plan)
            generated = time.perf_counter() - started
            if backend == "sqlite":
                async with engine.begin() as connection:
                    await connection.execute(text("ANALYZE"))
            filters = await filter_sets(engine)
            async with create_sessionmaker(engine)() as session:
                in_range = int(
                    await session.scalar(select(func.count()).select_from(Inquiry).where(*inquiry_scope(filters[1][1])))
                    or 0
                )
            baseline, charts, dashboard = await measure(engine, filters, args.repeats)
        finally:
            await engine.dispose()
    return BackendReport(backend, args.inquiries, in_range, generated, baseline, charts, dashboard)


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def render(reports: Sequence[BackendReport], args: argparse.Namespace, command: str) -> str:
    parts = [
        "## Report queries",
        "",
        "`/console/reports` (docs/reports.md): each chart built in-process against a `count(*)` over the same rows.",
        "",
        f"Command: `{command}` — {args.repeats} timed rounds × 6 filters per query, after one untimed round; "
        "in-process (no HTTP), one call at a time, a fresh session per call. Filters: the last 30, 90 and 7 "
        "days; 90 days with channel=web, with the busiest category, with the busiest team. "
        f"Target: p95 under {TARGET_MS:.0f} ms per chart.",
        "",
    ]
    for report in reports:
        parts.append(
            f"**{report.backend}** — {report.inquiries:,} inquiries over {args.days} days "
            f"({report.rows_in_range:,} in the 90-day range), generated in {report.generate_seconds:.0f} s."
        )
        parts.append("")
        base = report.baseline.p95_ms
        rows = [["count(*) baseline", _ms(report.baseline.p50_ms), _ms(base), "1.0", ""]]
        for result in [*report.charts, report.dashboard]:
            verdict = "✓" if result.p95_ms < TARGET_MS else "✗"
            if result is report.dashboard:
                verdict = ""
            rows.append([result.name, _ms(result.p50_ms), _ms(result.p95_ms), f"{result.p95_ms / base:.1f}", verdict])
        parts.append(table(["query", "p50 ms", "p95 ms", "p95 ÷ baseline p95", f"p95 < {TARGET_MS:.0f} ms"], rows))
        parts.append("")
    return "\n".join(parts)


async def run(args: argparse.Namespace) -> list[BackendReport]:
    with tempfile.TemporaryDirectory(prefix="gogaek-report-queries-") as directory:
        return [await measure_backend(backend, args, Path(directory)) for backend in args.backends]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--inquiries", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--backends", type=lambda value: value.split(","), default=["postgres", "sqlite"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    reports = asyncio.run(run(args))
    command = " ".join(["python benchmarks/report_queries.py", *sys.argv[1:]])
    body = render(reports, args, command)
    print("\n" + body)
    if args.write_docs:
        write_section("report_queries", body)


if __name__ == "__main__":
    main()
