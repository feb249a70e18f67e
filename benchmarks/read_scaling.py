"""Read scaling: 문의 내역, the agent queue and 문의번호 lookup at 10k, 100k and 1M inquiries.

For each size a private PostgreSQL database is created on the running server, filled by the
real command (``python -m gogaek demo generate``, timed) and served by the app in one uvicorn
process (``inquiry_load.served``: uvloop + httptools, no access log, as ``gogaek serve`` runs
it; job worker off so nothing writes while reads are timed). Then, one request at a time:

- 문의 내역 (``GET /api/v1/inquiries``, page of 20) of the customer with the most inquiries
  and of a typical one (the median count), and the heavy customer's last page (``offset``);
- the agent queue (``GET /api/v1/agent/inquiries``, page of 50) for every view, every status,
  the busiest and the rarest category, each on its first page and on a deep keyset page
  (``before_id`` after 5,000 rows, or as deep as the list goes); the agent is the generated
  one with the most open work, so ``mine`` and ``team`` are real;
- 문의번호 lookup: the console has no text search; the only search is the merge form's
  ``find_inquiry`` (by 문의번호 or id), which has no JSON route, so it is timed in-process.

Each read's SQL is also captured from the app's own function and EXPLAIN ANALYZEd, so the
table shows the database's share. Throughput of 문의 내역 comes from wrk against the app and
against the bare FastAPI endpoint of ``inquiry_load`` (same response model, from memory).

    .venv/bin/python benchmarks/read_scaling.py [--sizes 10000,100000,1000000] [--reads 200]
        [--days 90] [--seconds 10] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Select, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import inquiry_load
from common import table, write_section
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker
from gogaek.helpcenter.models import Category
from gogaek.identity.customer_tokens import issue_customer_token
from gogaek.identity.models import Customer, CustomerSource, StaffUser, TeamMember
from gogaek.identity.security import StaffTokenSigner
from gogaek.inquiries.console_forms import find_inquiry
from gogaek.inquiries.models import Inquiry
from gogaek.inquiries.queries import list_customer_inquiries
from gogaek.inquiries.queue import MAX_PAGE, QueueView, agent_queue
from gogaek.inquiries.sla import FINISHED_RANK
from gogaek.inquiries.workflow import Status
from wrk_load import WrkResult, write_script, wrk_binary

SIZES = (10_000, 100_000, 1_000_000)
SEED = 20261207
QUEUE_PAGE = 50
DEEP_ROWS = 5_000
LAST_PAGE_ROWS = 20
WRK_CUSTOMERS = 500
_EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")


@dataclass(frozen=True, slots=True)
class Read:
    """One timed read: its HTTP path (None: no route, timed in-process) and the app function behind it."""

    name: str
    path: str | None
    token: str
    call: Callable[[Any, Any], Awaitable[object]]  # (session, agent) → the app's read


@dataclass(frozen=True, slots=True)
class Measured:
    latency: inquiry_load.LoadResult
    database_ms: float  # EXPLAIN ANALYZE execution time of the read's statements, summed


@dataclass(frozen=True, slots=True)
class SizeReport:
    size: int
    generate_seconds: float
    open_inquiries: int
    heavy_count: int
    typical_count: int
    reads: dict[str, Measured]
    listing: WrkResult


@dataclass(frozen=True, slots=True)
class Targets:
    """Who and what the reads are about, chosen from the generated data."""

    heavy: str
    heavy_count: int
    typical: str
    typical_count: int
    wrk_customers: tuple[str, ...]
    agent_id: int
    busy_category: int
    rare_category: int
    number: str
    open_inquiries: int
    last_pages: dict[tuple[str, int | None], int]  # (status, category) → before_id of the list's last page


# --- data ----------------------------------------------------------------------------------


async def generate(env: Mapping[str, str], size: int, days: int, workdir: Path) -> float:
    """The real command in its own process; its seconds, start-up included."""
    command = [sys.executable, "-m", "gogaek", "demo", "generate", "--inquiries", str(size), "--days", str(days)]
    started = time.perf_counter()
    log = workdir / f"generate-{size}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command,
            "--seed",
            str(SEED),
            env={**os.environ, **env},
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if await process.wait():
            raise RuntimeError(f"demo generate failed:\n{inquiry_load.server_errors(log) or log.read_text()[-3000:]}")
    return time.perf_counter() - started


async def choose_targets(settings: Settings) -> Targets:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            per_customer = (
                await connection.execute(
                    select(Customer.external_id, func.count(Inquiry.id))
                    .join(Inquiry, Inquiry.customer_id == Customer.id)
                    .group_by(Customer.external_id)
                    .order_by(func.count(Inquiry.id).desc(), Customer.external_id)
                )
            ).all()
            median = statistics.median_low(count for _, count in per_customer)
            typical = next(sub for sub, count in reversed(per_customer) if count == median)
            open_work = Inquiry.queue_rank < FINISHED_RANK
            agent_id = await connection.scalar(
                select(Inquiry.assignee_id)
                .join(TeamMember, TeamMember.staff_id == Inquiry.assignee_id)
                .where(open_work)
                .group_by(Inquiry.assignee_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            by_category = (
                await connection.execute(
                    select(Category.id).outerjoin(Inquiry).group_by(Category.id).order_by(func.count(Inquiry.id).desc())
                )
            ).all()
            rare = by_category[-1][0]
            middle = select((func.min(Inquiry.id) + func.max(Inquiry.id)) / 2).scalar_subquery()
            number = await connection.scalar(
                select(Inquiry.number).where(Inquiry.id >= middle).order_by(Inquiry.id).limit(1)
            )
            open_count = await connection.scalar(select(func.count()).select_from(Inquiry).where(open_work))
            last_pages = {}
            for status, category in ((Status.RECEIVED, None), (Status.RESOLVED, None), (Status.CLOSED, rare)):
                found = await connection.scalar(last_page_cursor(status, category))
                if found is not None:
                    last_pages[(status.value, category)] = found
    finally:
        await engine.dispose()
    if agent_id is None or number is None:
        raise RuntimeError("the generated data has no open work assigned to a team member")
    step = max(1, len(per_customer) // WRK_CUSTOMERS)
    return Targets(
        heavy=per_customer[0][0],
        heavy_count=per_customer[0][1],
        typical=typical,
        typical_count=median,
        wrk_customers=tuple(sub for sub, _ in per_customer[::step]),
        agent_id=agent_id,
        busy_category=by_category[0][0],
        rare_category=rare,
        number=number,
        open_inquiries=int(open_count or 0),
        last_pages=last_pages,
    )


def last_page_cursor(status: Status, category: int | None) -> Select[int]:
    """The row LAST_PAGE_ROWS before the end of the queue list for ``status``, in the list's order
    (finished work newest first, open work by rank, due time and id), so the next page is the last."""
    reversed_order = (
        (Inquiry.id.asc(),)
        if status in (Status.RESOLVED, Status.CLOSED)
        else (Inquiry.queue_rank.desc(), Inquiry.queue_due_at.desc(), Inquiry.id.desc())
    )
    query = select(Inquiry.id).where(Inquiry.status == status.value).order_by(*reversed_order)
    if category is not None:
        query = query.where(Inquiry.category_id == category)
    return query.offset(LAST_PAGE_ROWS).limit(1)


# --- the reads -----------------------------------------------------------------------------


def customer_token(settings: Settings, sub: str) -> str:
    return issue_customer_token(settings, sub=sub, name="김고객", ttl_seconds=inquiry_load.TOKEN_TTL_SECONDS)


def queue_params(view: QueueView, status: Status | None, category: int | None) -> dict[str, str]:
    params = {"view": view.value, "limit": str(QUEUE_PAGE)}
    params |= {"status": status.value} if status is not None else {}
    return params | ({"category": str(category)} if category is not None else {})


async def deep_cursor(http: httpx.AsyncClient, params: Mapping[str, str]) -> int | None:
    """The ``before_id`` DEEP_ROWS rows into the list (or its last full page), walked page by page."""
    cursor: int | None = None
    for _ in range(DEEP_ROWS // MAX_PAGE):
        query = {**params, "limit": str(MAX_PAGE)} | ({"before_id": str(cursor)} if cursor else {})
        response = await http.get("/api/v1/agent/inquiries", params=query)
        response.raise_for_status()
        following = response.json()["next_before_id"]
        if following is None:
            break
        cursor = int(following)
    return cursor


async def queue_reads(base_url: str, token: str, targets: Targets) -> list[Read]:
    """Every view, every status and two categories, each on its first and a deep page; a few lists
    also on their last page, which must find the end of the list (it read the whole table once)."""
    cases: list[tuple[str, QueueView, Status | None, int | None]] = [
        (f"queue view={view.value}", view, None, None) for view in QueueView
    ]
    cases += [(f"queue status={status.value}", QueueView.ALL, status, None) for status in Status]
    cases += [
        ("queue busiest category", QueueView.ALL, None, targets.busy_category),
        ("queue rarest category", QueueView.ALL, None, targets.rare_category),
        ("queue rarest category, closed", QueueView.ALL, Status.CLOSED, targets.rare_category),
    ]
    reads = []
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        for name, view, status, category in cases:
            params = queue_params(view, status, category)
            reads.append(Read(name, f"/api/v1/agent/inquiries?{urlencode(params)}", token, _queue_call(params)))
            cursor = await deep_cursor(http, params)
            if cursor is not None:
                deep = {**params, "before_id": str(cursor)}
                reads.append(
                    Read(f"{name}, deep", f"/api/v1/agent/inquiries?{urlencode(deep)}", token, _queue_call(deep))
                )
            last = targets.last_pages.get((status.value, category)) if status is not None else None
            if last is not None and view == QueueView.ALL:
                end = {**params, "before_id": str(last)}
                path = f"/api/v1/agent/inquiries?{urlencode(end)}"
                reads.append(Read(f"{name}, last page", path, token, _queue_call(end)))
    return reads


def _queue_call(params: Mapping[str, str]) -> Callable[[Any, Any], Awaitable[object]]:
    def call(session: Any, agent: Any) -> Awaitable[object]:
        return agent_queue(
            session,
            agent,
            QueueView(params["view"]),
            status=params.get("status"),
            category_id=int(params["category"]) if "category" in params else None,
            limit=QUEUE_PAGE,
            before_id=int(params["before_id"]) if "before_id" in params else None,
        )

    return call


def customer_reads(settings: Settings, targets: Targets) -> list[Read]:
    heavy, typical = customer_token(settings, targets.heavy), customer_token(settings, targets.typical)
    last_page = max(0, targets.heavy_count - 20)
    return [
        Read("문의 내역, heavy customer", "/api/v1/inquiries", heavy, _history_call(targets.heavy, 0)),
        Read("문의 내역, typical customer", "/api/v1/inquiries", typical, _history_call(targets.typical, 0)),
        Read(
            "문의 내역, heavy customer's last page",
            f"/api/v1/inquiries?offset={last_page}",
            heavy,
            _history_call(targets.heavy, last_page),
        ),
    ]


def _history_call(sub: str, offset: int) -> Callable[[Any, Any], Awaitable[object]]:
    async def call(session: Any, _agent: Any) -> object:
        customer = await session.scalar(
            select(Customer).where(Customer.source == CustomerSource.HOST.value, Customer.external_id == sub)
        )
        return await list_customer_inquiries(session, customer, offset=offset)

    return call


async def timed_in_process(
    settings: Settings, call: Callable[[Any, Any], Awaitable[object]], total: int
) -> inquiry_load.LoadResult:
    """A read with no HTTP route, timed around the app's function on a fresh session each time."""
    engine = create_engine(settings)
    latencies = []
    try:
        sessions = create_sessionmaker(engine)
        for number in range(total + 10):
            async with sessions() as session:
                started = time.perf_counter()
                await call(session, None)
                if number >= 10:  # ten untimed ones first, as over HTTP
                    latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return inquiry_load.LoadResult(tuple(latencies), 0)


@contextlib.contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and its parameters) the engine sends inside the block, in order."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def database_ms(settings: Settings, agent_id: int, call: Callable[[Any, Any], Awaitable[object]]) -> float:
    """EXPLAIN ANALYZE of the SELECTs the read sends (captured, then run again), in ms."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            agent = await session.get(StaffUser, agent_id)
            with statements_sent(engine) as sent:
                await call(session, agent)
        total = 0.0
        async with engine.connect() as connection:
            for statement, parameters in sent:
                if statement.lstrip().upper().startswith("SELECT"):
                    plan = (await connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters)).all()
                    found = _EXECUTION.search(str(plan[-1][0]))
                    total += float(found.group(1)) if found else 0.0
        return total
    finally:
        await engine.dispose()


# --- one size ------------------------------------------------------------------------------


async def measure_size(size: int, args: argparse.Namespace, options: inquiry_load.Options, workdir: Path) -> SizeReport:
    async with inquiry_load.fresh_database("postgres", workdir, options) as settings:
        env = inquiry_load.server_env(settings)
        print(f"[{size:,}] generating…", flush=True)
        seconds = await generate(env, size, args.days, workdir)
        targets = await choose_targets(settings)
        print(f"[{size:,}] generated in {seconds:.0f} s; {targets.open_inquiries:,} open", flush=True)
        staff_token = StaffTokenSigner(settings.secret_key, settings.session_max_age_seconds).issue(targets.agent_id)
        number_read = Read(
            "문의번호 lookup (find_inquiry)", None, "", lambda session, _: find_inquiry(session, targets.number)
        )
        reads: dict[str, Measured] = {}
        async with inquiry_load.served("gogaek", env, workdir) as base_url:
            for read in [
                *customer_reads(settings, targets),
                *await queue_reads(base_url, staff_token, targets),
                number_read,
            ]:
                latency = (
                    await inquiry_load.read(base_url, read.path, [read.token], options)
                    if read.path is not None
                    else await timed_in_process(settings, read.call, options.reads)
                )
                reads[read.name] = Measured(latency, await database_ms(settings, targets.agent_id, read.call))
                print(f"[{size:,}] {read.name}: p95 {latency.percentile(95):.1f} ms", flush=True)
            script = listing_script(settings, targets, workdir, "gogaek")
            listing = await inquiry_load.measure_load(f"[{size:,}] wrk 문의 내역", base_url, script, options)
        return SizeReport(
            size, seconds, targets.open_inquiries, targets.heavy_count, targets.typical_count, reads, listing
        )


def listing_script(settings: Settings, targets: Targets, workdir: Path, kind: str) -> Path:
    path = "/api/v1/inquiries" if kind == "gogaek" else "/inquiries"
    tokens = [customer_token(settings, sub) for sub in targets.wrk_customers]
    return write_script(workdir / f"{kind}-history.lua", "GET", path, tokens, 200)


async def measure_bare(options: inquiry_load.Options, workdir: Path) -> tuple[WrkResult, inquiry_load.LoadResult]:
    """The bare endpoint (20 summaries from memory), under wrk and one request at a time."""
    settings = Settings(env="test", data_dir=workdir, search_semantic=False, jobs_enabled=False)
    script = write_script(workdir / "bare-history.lua", "GET", "/inquiries", ["unused"], 200)
    async with inquiry_load.served("bare", inquiry_load.server_env(settings), workdir) as base_url:
        listing = await inquiry_load.measure_load("bare GET list", base_url, script, options)
        latency = await inquiry_load.read(base_url, "/inquiries", ["unused"], options)
    return listing, latency


# --- report --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}"


def reads_table(reports: Sequence[SizeReport], bare: inquiry_load.LoadResult) -> str:
    sizes = [f"{r.size:,}" for r in reports]
    header = ["read", *(f"p50 / p95 / p99 ms at {s}" for s in sizes), *(f"DB ms at {s}" for s in sizes)]
    header += [f"p95 {sizes[0]} → {sizes[-1]}", f"p95 ≤ {inquiry_load.TARGET_P95_MS:.0f} ms at {sizes[-1]}"]
    rows = [
        [
            "bare FastAPI, 20 summaries (baseline)",
            *(f"{_ms(bare.percentile(50))} / {_ms(bare.percentile(95))} / {_ms(bare.percentile(99))}" for _ in reports),
            *("–" for _ in reports),
            "–",
            "–",
        ]
    ]
    for name in dict.fromkeys(name for report in reversed(reports) for name in report.reads):
        results = [r.reads.get(name) for r in reports]
        cells = [
            f"{_ms(m.latency.percentile(50))} / {_ms(m.latency.percentile(95))} / {_ms(m.latency.percentile(99))}"
            if m
            else "–"
            for m in results
        ]
        first, last = results[0], results[-1]
        growth = f"{last.latency.percentile(95) / first.latency.percentile(95):.2f}×" if first and last else "–"
        targeted = name.startswith(("문의 내역", "queue"))
        met = "met" if last and last.latency.percentile(95) <= inquiry_load.TARGET_P95_MS else "**NOT met**"
        failures = sum(m.latency.failures for m in results if m)
        rows.append(
            [
                name + (f" ({failures} failed)" if failures else ""),
                *cells,
                *(f"{m.database_ms:.2f}" if m else "–" for m in results),
                growth,
                met if targeted else "–",
            ]
        )
    return table(header, rows)


def throughput_table(reports: Sequence[SizeReport], bare: WrkResult) -> str:
    header = ["server", "requests", "req/s", "p50 ms", "p99 ms", "req/s / bare", "failed"]
    rows = [
        [
            "bare FastAPI GET, 20 summaries (baseline)",
            f"{bare.requests:,}",
            f"{bare.per_second:.0f}",
            _ms(bare.p50_ms),
            _ms(bare.p99_ms),
            "1.00×",
            str(bare.failures),
        ]
    ]
    rows += [
        [
            f"Gogaek 문의 내역 at {r.size:,} inquiries",
            f"{r.listing.requests:,}",
            f"{r.listing.per_second:.0f}",
            _ms(r.listing.p50_ms),
            _ms(r.listing.p99_ms),
            f"{r.listing.per_second / bare.per_second:.2f}×",
            str(r.listing.failures),
        ]
        for r in reports
    ]
    return table(header, rows)


def data_table(reports: Sequence[SizeReport]) -> str:
    header = ["inquiries", "`demo generate` time", "inquiries/s", "open", "heavy customer's", "typical customer's"]
    rows = [
        [
            f"{r.size:,}",
            f"{r.generate_seconds:.0f} s",
            f"{r.size / r.generate_seconds:,.0f}",
            f"{r.open_inquiries:,}",
            f"{r.heavy_count:,}",
            f"{r.typical_count:,}",
        ]
        for r in reports
    ]
    return table(header, rows)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def render(
    reports: Sequence[SizeReport],
    bare: tuple[WrkResult, inquiry_load.LoadResult],
    options: inquiry_load.Options,
    days: int,
    command: str,
) -> str:
    machine = f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}"
    machine += f", load average {os.getloadavg()[0]:.1f} at the end"
    return (
        "## Read scaling\n\n"
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d}, {machine}; PostgreSQL on the same machine,\n"
        "which other people were using too. Each size is a fresh database filled by\n"
        f"`python -m gogaek demo generate --inquiries N --days {days} --seed {SEED}` and served by one\n"
        "uvicorn process (job worker off). Latency: one request at a time, "
        f"{options.reads} timed per row after 10 untimed; the queue page is {QUEUE_PAGE} rows, a deep page\n"
        f"continues after {DEEP_ROWS:,} rows (`before_id`, or as deep as the list goes). DB ms: EXPLAIN ANALYZE\n"
        "of the statements the read sends, captured from the app's own function. The agent is the\n"
        "generated one with the most open work. 문의번호 lookup has no JSON route (the merge form uses\n"
        "it), so it is timed in-process around `find_inquiry` with a fresh session each time.\n\n"
        "### Data and generation time\n\n"
        + data_table(reports)
        + "\n\n### Latency, and how it grows with the data\n\n"
        + reads_table(reports, bare[1])
        + f"\n\n### Throughput of 문의 내역 (wrk, 1 thread, {options.connections} connections, {options.seconds} s)\n\n"
        f"{WRK_CUSTOMERS} customers spread over the inquiry counts, tokens in turn; the baseline is\n"
        "`inquiry_load`'s bare endpoint returning 20 summaries from memory.\n\n"
        + throughput_table(reports, bare[0])
        + "\n"
    )


async def run(
    args: argparse.Namespace, options: inquiry_load.Options
) -> tuple[list[SizeReport], tuple[WrkResult, inquiry_load.LoadResult]]:
    with tempfile.TemporaryDirectory(prefix="gogaek-read-scaling-") as directory:
        workdir = Path(directory)
        bare = await measure_bare(options, workdir)
        reports = [await measure_size(size, args, options, workdir) for size in args.sizes]
        return reports, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=lambda text: [int(part) for part in text.split(",")], default=list(SIZES))
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--reads", type=int, default=200, help="timed requests per read, one at a time")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10, help="each timed wrk run")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    wrk_binary()  # before any database: exits with how to install wrk when it is missing
    options = inquiry_load.Options(
        connections=args.connections, seconds=args.seconds, reads=args.reads, jobs_enabled=False
    )
    reports, bare = asyncio.run(run(args, options))
    command = " ".join(["python benchmarks/read_scaling.py", *sys.argv[1:]])
    body = render(reports, bare, options, args.days, command)
    print("\n" + body)
    if args.write_docs:
        write_section("read_scaling", body)


if __name__ == "__main__":
    main()
