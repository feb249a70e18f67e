"""Inquiry load: throughput and tail latency of submissions and 문의 내역, reads at 100,000 inquiries.

Each backend (SQLite, PostgreSQL) gets a fresh database: migrated, demo categories loaded,
agents created and 100,000 inquiries bulk-seeded (``inquiry_seed``). The app then runs as a
real server — one uvicorn process (uvloop + httptools) on a socket this script binds and
hands over — with the job worker on, as in production.

Throughput comes from wrk (``wrk_load``), a native load generator, because a Python client
caps out at a few hundred requests per second: submissions (``POST /api/v1/inquiries``, JSON,
many customers, a fresh Idempotency-Key each) and 문의 내역 (``GET /api/v1/inquiries``). Read
latency is then timed with httpx one request at a time — 문의 내역 and the agent queue views
(``GET /api/v1/agent/inquiries?view=…``) — where a Python client is fine, as it only waits.

Baseline, measured in the same run right before each backend: a bare FastAPI app served the
same way, whose POST validates the same JSON with the app's own ``InquiryCreate`` and answers
201, and whose GETs return the same response models (20 ``InquirySummary`` rows, 50
``QueueRow`` rows) from memory. The ratios are what the database, sign-in and business rules
cost on top of the framework.

    .venv/bin/python benchmarks/inquiry_load.py [--quick] [--backends sqlite,postgres]
        [--connections 32] [--seconds 20] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Query
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import inquiry_seed
from common import stop_server, table, wait_until_ready, write_section
from gogaek.config import Settings
from gogaek.db import create_engine, create_sessionmaker, utcnow
from gogaek.inquiries.agent_schemas import QueuePage, QueueRow
from gogaek.inquiries.models import Inquiry, Priority
from gogaek.inquiries.schemas import CategoryRef, InquiryCreate, InquiryList, InquirySummary
from gogaek.inquiries.sla import SlaState
from gogaek.inquiries.workflow import Status
from gogaek.jobs.models import Job, JobStatus
from gogaek.migrate import upgrade_database
from wrk_load import TIMEOUT_SECONDS, WrkResult, throughput, write_script, wrk_binary

POSTGRES_ADMIN_URL = os.environ.get(
    "GOGAEK_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
JOB_DRAIN_SECONDS = 300.0
TARGET_P95_MS = 100.0
QUEUE_VIEWS = ("all", "unassigned", "mine", "overdue")
QUEUE_PAGE = 50
HISTORY_PAGE = 20
SUBMITTING_CUSTOMERS = 1_000
TIMED_HISTORIES = 500
TOKEN_TTL_SECONDS = 6 * 3600
SEED = 20240601
_EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception): ")


@dataclass(frozen=True, slots=True)
class Options:
    inquiries: int = 100_000
    customers: int = 20_000
    connections: int = 32  # wrk's, on one thread
    seconds: int = 20  # each timed wrk run
    reads: int = 300  # timed requests per read endpoint, one at a time
    jobs_enabled: bool = True

    @property
    def warmup_seconds(self) -> int:
        """The untimed wrk run before each timed one (its submissions are inquiries in the database too)."""
        return max(1, self.seconds // 5)


QUICK = Options(inquiries=10_000, customers=2_000, seconds=5, reads=60)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a batch of timed requests did: latencies of every request, failures counted apart."""

    latencies_ms: tuple[float, ...]
    failures: int
    first_failure: str | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


@dataclass(frozen=True, slots=True)
class BackendReport:
    backend: str
    version: str
    seed: inquiry_seed.SeedReport
    seed_seconds: float
    rows_at_reads: int
    bare_post: WrkResult
    bare_listing: WrkResult
    bare_history: LoadResult
    bare_queue: LoadResult
    submissions: WrkResult
    listing: WrkResult  # 문의 내역 under wrk's load
    history: LoadResult  # 문의 내역 one request at a time
    queue: dict[str, LoadResult]
    jobs: dict[str, int]
    load_average: float  # of the machine over the minute before measuring: other work on the cores
    jobs_drained_seconds: float | None  # after the submissions; None: still busy at the timeout
    queue_plan: tuple[str, ...]  # EXPLAIN of the agent queue's first page, view=all
    server_errors: dict[str, int]  # exception lines in the app server's log, counted


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100); 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- load ------------------------------------------------------------------------------


async def drive(
    base_url: str, calls: Callable[[int], Call], total: int, expected_status: int, warmup: int
) -> LoadResult:
    """``total`` timed requests, one at a time on one keep-alive connection: latency, not throughput.

    ``calls(n)`` builds the n-th request; ``warmup`` untimed requests go first, so connecting and
    the server's first-use costs stay out of the numbers.
    """
    latencies: list[float] = []
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        for number in range(total, total + warmup):
            await _timed(http, calls(number), expected_status)
        for number in range(total):
            outcome = await _timed(http, calls(number), expected_status)
            if isinstance(outcome, str):
                failures.append(outcome)
            else:
                latencies.append(outcome)
    return LoadResult(tuple(latencies), len(failures), failures[0] if failures else None)


async def _timed(http: httpx.AsyncClient, call: Call, expected_status: int) -> float | str:
    """Milliseconds until the answer, or what went wrong."""
    started = time.perf_counter()
    try:
        response = await http.request(call.method, call.path, headers=call.headers)
    except httpx.HTTPError as exc:
        return f"{call.method} {call.path}: {exc!r}"
    if response.status_code != expected_status:
        return f"{call.method} {call.path}: {response.status_code} {response.text[:300]}"
    return (time.perf_counter() - started) * 1000


def submission_bodies() -> list[dict[str, str]]:
    """Inquiries as the pay app sends them, one per template; wrk adds the key and a transaction_ref."""
    return [
        {"category": slug, "title": title, "body": body}
        for slug, pairs in inquiry_seed.TEMPLATES.items()
        for title, body in pairs
    ]


def get_calls(path: str, tokens: Sequence[str]) -> Callable[[int], Call]:
    return lambda number: Call("GET", path, {"Authorization": f"Bearer {tokens[number % len(tokens)]}"})


# --- servers ---------------------------------------------------------------------------


def bare_app() -> FastAPI:
    """The floor: FastAPI, the same request and response models, no database and no sign-in."""
    app = FastAPI()
    now = datetime.now(UTC)
    category = CategoryRef(id=1, slug="payment", name="결제")
    summaries = [_bare_summary(number, category, now) for number in range(1, HISTORY_PAGE + 1)]
    rows = [_bare_row(number, now) for number in range(1, QUEUE_PAGE + 1)]

    @app.post("/inquiries", status_code=201)
    async def submit(data: InquiryCreate) -> InquiryCreate:
        return data

    @app.get("/inquiries", response_model=InquiryList)
    async def history() -> InquiryList:
        return InquiryList(items=summaries, total=len(summaries))

    @app.get("/queue", response_model=QueuePage)
    async def queue(limit: int = Query(QUEUE_PAGE, le=200)) -> QueuePage:
        return QueuePage(items=rows[:limit], next_before_id=rows[limit - 1].id)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def _bare_summary(number: int, category: CategoryRef, now: datetime) -> InquirySummary:
    return InquirySummary(
        id=number,
        number=f"20240601-{number:06d}",
        status=Status.RECEIVED,
        status_label="접수",
        category=category,
        channel="web",
        title="결제가 두 번 됐어요",
        priority=Priority.NORMAL,
        created_at=now,
        updated_at=now,
        first_response_due_at=now,
        resolution_due_at=now,
    )


def _bare_row(number: int, now: datetime) -> QueueRow:
    return QueueRow(
        id=number,
        number=f"20240601-{number:06d}",
        title="결제가 두 번 됐어요",
        status=Status.IN_PROGRESS,
        status_label="처리중",
        priority=Priority.NORMAL,
        category_id=1,
        category_name="결제",
        customer_name="김고객",
        assignee_id=1,
        assignee_name="상담사01",
        team_id=None,
        team_name=None,
        created_at=now,
        updated_at=now,
        due_at=now,
        sla_state=SlaState.OK,
        tags=[],
        is_emergency=False,
    )


def serve(kind: str, fd: int) -> None:
    """Child process: one uvicorn server on the socket the parent bound (no port race)."""
    import uvicorn

    from gogaek.app import create_app

    app = bare_app() if kind == "bare" else create_app(Settings())
    listener = socket.socket(fileno=fd)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[listener])


@asynccontextmanager
async def served(kind: str, env: Mapping[str, str], workdir: Path) -> AsyncIterator[str]:
    """A server process of ``kind`` ("gogaek" or "bare"); yields its base URL once /readyz says 200."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    log_path = server_log(workdir, kind)
    try:
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--serve",
                kind,
                "--listen-fd",
                str(listener.fileno()),
                pass_fds=(listener.fileno(),),
                env={**os.environ, **env},
                cwd=workdir,  # never pick up a developer's .env
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    finally:
        listener.close()  # the child has its own copy
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}/readyz", process, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        await stop_server(process)


def server_log(workdir: Path, kind: str) -> Path:
    """Where the last server of ``kind`` started in ``workdir`` writes its output."""
    return workdir / f"{kind}.log"


def server_errors(log_path: Path, limit: int = 3) -> dict[str, int]:
    """The exceptions a server logged (one line each, most frequent first): the cause behind a 500."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines() if log_path.exists() else []
    found = Counter(line.strip()[:200] for line in lines if _EXCEPTION_LINE.match(line))
    return dict(found.most_common(limit))


def server_env(settings: Settings) -> dict[str, str]:
    """The settings as ``GOGAEK_*`` variables for the server process."""
    env = {
        "GOGAEK_ENV": settings.env,
        "GOGAEK_DATA_DIR": str(settings.data_dir),
        "GOGAEK_SEARCH_SEMANTIC": str(settings.search_semantic).lower(),
        "GOGAEK_JOBS_ENABLED": str(settings.jobs_enabled).lower(),
        "GOGAEK_SECRET_KEY": settings.secret_key,
    }
    if settings.database_url:
        env["GOGAEK_DATABASE_URL"] = settings.database_url
    return env


# --- databases -------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(backend: str, workdir: Path, options: Options) -> AsyncIterator[Settings]:
    """Settings for an empty database: a new data dir (SQLite) or a new, uniquely named database."""
    data_dir = workdir / backend
    data_dir.mkdir(parents=True, exist_ok=True)
    common: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "search_semantic": False,
        "jobs_enabled": options.jobs_enabled,
    }
    if backend == "sqlite":
        yield Settings(**common)
        return
    if backend != "postgres":
        raise ValueError(f"unknown backend {backend!r} (sqlite or postgres)")
    name = f"gogaek_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        yield Settings(**common, database_url=url)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def prepare(settings: Settings, options: Options) -> tuple[inquiry_seed.SeedReport, float, str]:
    """Migrate, load the demo categories, create agents and seed; returns the seed, its seconds, the version."""
    from gogaek.demo import load_demo_content

    engine = create_engine(settings)
    try:
        await upgrade_database(engine)
        async with create_sessionmaker(engine)() as session:
            await load_demo_content(session)
            agents = await inquiry_seed.create_agents(session, inquiry_seed.SeedPlan().agents)
        started = time.perf_counter()
        plan = inquiry_seed.SeedPlan(inquiries=options.inquiries, customers=options.customers)
        report = await inquiry_seed.seed(engine, plan, agents)
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # Autovacuum would do this within a minute of a real bulk load; do not time its absence.
                await connection.execute(text("ANALYZE"))
                version = str(await connection.scalar(text("SHOW server_version")))
            else:
                version = str(await connection.scalar(text("SELECT sqlite_version()")))
            await connection.commit()
        return report, time.perf_counter() - started, version
    finally:
        await engine.dispose()


async def database_counts(settings: Settings) -> tuple[int, dict[str, int]]:
    """Inquiries in the database and jobs by status (did the worker keep up?)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            inquiries = int(await connection.scalar(select(func.count()).select_from(Inquiry)) or 0)
            rows = (await connection.execute(select(Job.status, func.count()).group_by(Job.status))).all()
        return inquiries, {str(status): int(count) for status, count in rows}
    finally:
        await engine.dispose()


async def wait_for_jobs(settings: Settings) -> float | None:
    """Seconds until no job is due or running: reads are timed in the steady state, not while the
    worker catches up on the submissions. None when the backlog outlasted JOB_DRAIN_SECONDS."""
    engine = create_engine(settings)
    started = time.perf_counter()
    busy = [JobStatus.PENDING.value, JobStatus.RUNNING.value]
    try:
        while time.perf_counter() - started < JOB_DRAIN_SECONDS:
            due = select(func.count()).select_from(Job).where(Job.status.in_(busy), Job.run_at <= utcnow())
            async with engine.connect() as connection:
                if not await connection.scalar(due):
                    return time.perf_counter() - started
            await asyncio.sleep(0.5)
        return None
    finally:
        await engine.dispose()


async def explain_queue(settings: Settings, agent_email: str) -> tuple[str, ...]:
    """The database's plan for the SQL the app runs for the queue's first page (view=all).

    The statement is captured from ``agent_queue`` itself, so the plan follows the code.
    """
    from gogaek.identity.models import StaffUser
    from gogaek.inquiries.queue import QueueView, agent_queue

    engine = create_engine(settings)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        statements.append((statement, parameters))

    try:
        async with create_sessionmaker(engine)() as session:
            agent = await session.scalar(select(StaffUser).where(StaffUser.email == agent_email))
            if agent is None:
                raise ValueError(f"no agent {agent_email}")
            event.listen(engine.sync_engine, "before_cursor_execute", capture)
            try:
                await agent_queue(session, agent, QueueView.ALL, limit=QUEUE_PAGE)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", capture)
        statement, parameters = statements[-1]
        prefix = "EXPLAIN QUERY PLAN " if settings.is_sqlite else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
        async with engine.connect() as connection:
            rows = (await connection.exec_driver_sql(prefix + statement, parameters)).all()
        return tuple(str(row[-1]) for row in rows)
    finally:
        await engine.dispose()


# --- one backend -----------------------------------------------------------------------


async def benchmark_backend(backend: str, options: Options, workdir: Path) -> BackendReport:
    """Seed a fresh database, then baseline, submissions and reads against real servers."""
    async with fresh_database(backend, workdir, options) as settings:
        print(f"[{backend}] seeding {options.inquiries:,} inquiries…", flush=True)
        seed, seed_seconds, version = await prepare(settings, options)
        print(f"[{backend}] seeded in {seed_seconds:.1f} s; {seed.open:,} open, {seed.overdue:,} overdue", flush=True)
        env = server_env(settings)
        submitting, reading = customer_tokens(settings, seed)
        load_average = os.getloadavg()[0]
        bare_post, bare_listing, bare_history, bare_queue = await measure_bare(
            env, workdir, submitting, reading, options
        )
        post_script, list_script = load_scripts(workdir, "gogaek", "/api/v1/inquiries", submitting, reading)
        async with served("gogaek", env, workdir) as base_url:
            submissions = await measure_load(f"[{backend}] Gogaek POST", base_url, post_script, options)
            drained = await wait_for_jobs(settings) if options.jobs_enabled else None
            rows, _ = await database_counts(settings)
            print(f"[{backend}] reads with {rows:,} inquiries in the database", flush=True)
            history = await read(base_url, "/api/v1/inquiries", reading, options)
            queue = await measure_queue(base_url, seed.agent_email, options)
            listing = await measure_load(f"[{backend}] Gogaek GET list", base_url, list_script, options)
        _, jobs = await database_counts(settings)
        return BackendReport(
            backend=backend,
            version=version,
            seed=seed,
            seed_seconds=seed_seconds,
            rows_at_reads=rows,
            bare_post=bare_post,
            bare_listing=bare_listing,
            bare_history=bare_history,
            bare_queue=bare_queue,
            submissions=submissions,
            listing=listing,
            history=history,
            queue=queue,
            jobs=jobs,
            load_average=load_average,
            jobs_drained_seconds=drained,
            queue_plan=await explain_queue(settings, seed.agent_email),
            server_errors=server_errors(server_log(workdir, "gogaek")),
        )


def customer_tokens(settings: Settings, seed: inquiry_seed.SeedReport) -> tuple[list[str], list[str]]:
    """Host tokens: seeded customers who submit, and customers with 5–20 inquiries whose 문의 내역 is read."""
    from gogaek.identity.customer_tokens import issue_customer_token

    rng = random.Random(SEED)
    submitting = rng.sample(list(seed.external_ids), min(SUBMITTING_CUSTOMERS, len(seed.external_ids)))
    reading = rng.sample(list(seed.history_customers), min(TIMED_HISTORIES, len(seed.history_customers)))
    if not reading:
        raise ValueError("no seeded customer has 5–20 inquiries; seed more inquiries")

    def issue(sub: str) -> str:
        return issue_customer_token(settings, sub=sub, name="김고객", ttl_seconds=TOKEN_TTL_SECONDS)

    return [issue(sub) for sub in submitting], [issue(sub) for sub in reading]


def load_scripts(
    workdir: Path, kind: str, path: str, submitting: Sequence[str], reading: Sequence[str]
) -> tuple[Path, Path]:
    """wrk scripts for one server: submissions by the submitting customers, 문의 내역 of the reading ones."""
    post = write_script(workdir / f"{kind}-post.lua", "POST", path, submitting, 201, submission_bodies())
    listing = write_script(workdir / f"{kind}-list.lua", "GET", path, reading, 200)
    return post, listing


async def measure_load(label: str, base_url: str, script: Path, options: Options) -> WrkResult:
    """wrk's warm-up and timed run with the script's requests against ``base_url``."""
    print(f"{label}: wrk, {options.connections} connections, {options.seconds} s", flush=True)
    return await throughput(base_url, script, options.connections, options.seconds, options.warmup_seconds)


async def measure_bare(
    env: Mapping[str, str], workdir: Path, submitting: Sequence[str], reading: Sequence[str], options: Options
) -> tuple[WrkResult, WrkResult, LoadResult, LoadResult]:
    """The baseline's POST and list under wrk's load, then its two GETs one request at a time."""
    post_script, list_script = load_scripts(workdir, "bare", "/inquiries", submitting, reading)
    async with served("bare", env, workdir) as base_url:
        post = await measure_load("bare POST", base_url, post_script, options)
        listing = await measure_load("bare GET list", base_url, list_script, options)
        history = await read(base_url, "/inquiries", reading, options)
        queue = await read(base_url, f"/queue?limit={QUEUE_PAGE}", reading, options)
    return post, listing, history, queue


async def measure_queue(base_url: str, email: str, options: Options) -> dict[str, LoadResult]:
    """Each view's first page, then the second page of "all" (the keyset cursor)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/v1/agent/login", json={"email": email, "password": inquiry_seed.AGENT_PASSWORD}
        )
        response.raise_for_status()
        token = str(response.json()["access_token"])
        first = await http.get(
            "/api/v1/agent/inquiries",
            params={"view": "all", "limit": QUEUE_PAGE},
            headers={"Authorization": f"Bearer {token}"},
        )
        first.raise_for_status()
        cursor = first.json()["next_before_id"]
    paths = {view: f"/api/v1/agent/inquiries?view={view}&limit={QUEUE_PAGE}" for view in QUEUE_VIEWS}
    if cursor is not None:
        paths["all, 2nd page"] = f"/api/v1/agent/inquiries?view=all&limit={QUEUE_PAGE}&before_id={cursor}"
    return {name: await read(base_url, path, [token], options) for name, path in paths.items()}


async def read(base_url: str, path: str, tokens: Sequence[str], options: Options) -> LoadResult:
    """GETs one at a time after ten untimed ones."""
    return await drive(base_url, get_calls(path, tokens), options.reads, 200, warmup=10)


# --- report ----------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "–"


def throughput_table(reports: Sequence[BackendReport]) -> str:
    header = [
        "backend",
        "system",
        "requests",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "req/s / bare",
        "p99 / bare",
        "failed",
        "client CPU",
    ]
    rows = []
    for report in reports:
        systems = (
            ("bare FastAPI POST (baseline)", report.bare_post, report.bare_post),
            ("Gogaek POST /api/v1/inquiries", report.submissions, report.bare_post),
            ("bare FastAPI GET, 20 summaries (baseline)", report.bare_listing, report.bare_listing),
            ("Gogaek 문의 내역 GET /api/v1/inquiries", report.listing, report.bare_listing),
        )
        for name, result, base in systems:
            rows.append(
                [
                    report.backend,
                    name,
                    f"{result.requests:,}",
                    f"{result.per_second:.0f}",
                    _ms(result.p50_ms),
                    _ms(result.p90_ms),
                    _ms(result.p99_ms),
                    _ratio(result.per_second, base.per_second),
                    _ratio(result.p99_ms, base.p99_ms),
                    str(result.failures),
                    f"{result.client_cpu:.0%}",
                ]
            )
    return table(header, rows)


def reads_table(reports: Sequence[BackendReport]) -> str:
    header = [
        "backend",
        "endpoint",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p95 / bare",
        f"p95 ≤ {TARGET_P95_MS:.0f} ms",
        "failed",
    ]
    rows = []
    for report in reports:
        entries = [
            ("bare GET, 20 summaries (baseline)", report.bare_history, report.bare_history, False),
            ("문의 내역 GET /api/v1/inquiries", report.history, report.bare_history, True),
            ("bare GET, 50 queue rows (baseline)", report.bare_queue, report.bare_queue, False),
        ]
        entries += [(f"agent queue view={view}", res, report.bare_queue, True) for view, res in report.queue.items()]
        for name, result, base, targeted in entries:
            p95 = result.percentile(95)
            verdict = ("met" if p95 <= TARGET_P95_MS else "**NOT met**") if targeted else "–"
            rows.append(
                [
                    report.backend,
                    name,
                    _ms(result.percentile(50)),
                    _ms(p95),
                    _ms(result.percentile(99)),
                    _ratio(p95, base.percentile(95)),
                    verdict,
                    str(result.failures),
                ]
            )
    return table(header, rows)


def data_table(reports: Sequence[BackendReport]) -> str:
    header = [
        "backend",
        "version",
        "inquiries at reads",
        "customers",
        "open",
        "unassigned open",
        "overdue",
        "agent's own open",
        "messages",
        "seed time",
        "jobs at the end",
        "load avg before",
    ]
    rows = [
        [
            r.backend,
            r.version,
            f"{r.rows_at_reads:,}",
            f"{r.seed.customers:,}",
            f"{r.seed.open:,}",
            f"{r.seed.unassigned_open:,}",
            f"{r.seed.overdue:,}",
            f"{r.seed.agent_inquiries_open:,}",
            f"{r.seed.messages:,}",
            f"{r.seed_seconds:.0f} s",
            ", ".join(f"{status} {count:,}" for status, count in sorted(r.jobs.items())) or "none",
            f"{r.load_average:.1f}",
        ]
        for r in reports
    ]
    return table(header, rows)


def drain_note(reports: Sequence[BackendReport], options: Options) -> str:
    """How long the job worker needed for the submissions' jobs (reads wait for it)."""
    if not options.jobs_enabled:
        return "The job worker was off: the submissions' jobs stayed pending."
    parts = [
        f"{r.backend} {r.jobs_drained_seconds:.1f} s"
        if r.jobs_drained_seconds is not None
        else f"{r.backend} not within {JOB_DRAIN_SECONDS:.0f} s"
        for r in reports
    ]
    return "Jobs left by the submissions (events, auto-assignment) were done after the last one: " + (
        "; ".join(parts) + "."
    )


def failures_note(reports: Sequence[BackendReport]) -> str:
    lines = []
    for report in reports:
        results: dict[str, WrkResult | LoadResult] = {
            "bare POST (wrk)": report.bare_post,
            "submit (wrk)": report.submissions,
            "bare GET list (wrk)": report.bare_listing,
            "문의 내역 (wrk)": report.listing,
            "문의 내역": report.history,
            **report.queue,
        }
        for name, result in results.items():
            if result.failures:
                first = f", first: `{result.first_failure}`" if result.first_failure else " (socket errors)"
                lines.append(f"- {report.backend} {name}: {result.failures} failed{first}")
        lines += [f"- {report.backend} server log: {count} × `{line}`" for line, count in report.server_errors.items()]
    return "\n".join(lines)


def plans_section(reports: Sequence[BackendReport]) -> str:
    """The queue's query plans, and what they mean when the target was missed."""
    blocks = [f"{r.backend}:\n\n```\n" + "\n".join(r.queue_plan) + "\n```" for r in reports]
    missed = [r.backend for r in reports if any(q.percentile(95) > TARGET_P95_MS for q in r.queue.values())]
    why = (
        f"\n\nThe target is missed on {', '.join(missed)}: check the plan above for a sort of the whole\n"
        "open backlog (`TEMP B-TREE FOR ORDER BY` on the inquiries, or a `Sort` under the `Limit`)\n"
        "instead of a read of `ix_inquiries_queue` in queue order."
        if missed
        else ""
    )
    return (
        "### Agent queue query plan (view=all, first page)\n\n"
        "The SQL `agent_queue` runs, captured and EXPLAINed on the seeded database "
        "(PostgreSQL: `EXPLAIN ANALYZE`, timing off).\n\n" + "\n\n".join(blocks) + why
    )


def render(reports: Sequence[BackendReport], options: Options, command: str) -> str:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    notes = failures_note(reports)
    return (
        "## Inquiry load\n\n"
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d}, {machine}; the servers and the\n"
        "load generator share these cores. One uvicorn process per server (uvloop + httptools,\n"
        f"no access log), job worker {'on' if options.jobs_enabled else 'off'}"
        " (`GOGAEK_JOBS_ENABLED`), semantic search off.\n\n"
        f"### Throughput (wrk, 1 thread, {options.connections} connections, {options.seconds} s)\n\n"
        f"Each row is a timed wrk run after an untimed {options.warmup_seconds} s one; latency is wrk's\n"
        f"(`--latency`, timeout {TIMEOUT_SECONDS} s). POST: seeded customers' host bearer tokens in turn,\n"
        "a fresh `Idempotency-Key` on every request, into a database that already holds the seeded\n"
        "inquiries; the baseline validates the same JSON with `InquiryCreate` and answers 201.\n"
        "GET: 문의 내역 (page of 20) of customers with 5–20 inquiries, after the submissions' jobs\n"
        "are done; the baseline returns 20 summaries from memory. Failed: socket errors plus any\n"
        "status other than 201 (POST) or 200 (GET). Client CPU is wrk's share of one core: near\n"
        "100 % means the client, not the server, limited the rate.\n\n"
        + throughput_table(reports)
        + "\n\n"
        + drain_note(reports, options)
        + f"\n\n### Read latency (1 request at a time, {options.reads} timed per row)\n\n"
        "A latency measure, not throughput: one httpx client in the benchmark's process waits for each\n"
        "answer before it sends the next, so its own speed does not limit what is timed.\n"
        "문의 내역: a random customer with 5–20 inquiries (page of 20). Agent queue: the first page of\n"
        f"{QUEUE_PAGE}; `mine` is an agent with the open share shown below. PostgreSQL was ANALYZEd after\n"
        "the bulk load; SQLite has no statistics, as the app never runs ANALYZE.\n\n"
        + reads_table(reports)
        + "\n\n### Data\n\n"
        + data_table(reports)
        + "\n\n"
        + plans_section(reports)
        + ("\n\n### Failures\n\n" + notes if notes else "")
        + "\n"
    )


def build_command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python benchmarks/inquiry_load.py"]
    parts += ["--quick"] if args.quick else []
    parts += [f"--backends {args.backends}"] if args.backends != "sqlite,postgres" else []
    parts += [f"--{name} {value}" for name, value in _overrides(args).items()]
    parts += ["--write-docs"] if args.write_docs else []
    return " ".join(parts)


def _overrides(args: argparse.Namespace) -> dict[str, int]:
    return {
        name: getattr(args, name)
        for name in ("inquiries", "connections", "seconds", "reads")
        if getattr(args, name) is not None
    }


def options_from(args: argparse.Namespace) -> Options:
    options = QUICK if args.quick else Options()
    return Options(
        inquiries=args.inquiries or options.inquiries,
        customers=max(1, args.inquiries // 5) if args.inquiries else options.customers,
        connections=args.connections or options.connections,
        seconds=args.seconds or options.seconds,
        reads=args.reads or options.reads,
        jobs_enabled=not args.jobs_off,
    )


async def run(backends: Sequence[str], options: Options) -> list[BackendReport]:
    with tempfile.TemporaryDirectory(prefix="gogaek-bench-") as directory:
        return [await benchmark_backend(backend, options, Path(directory)) for backend in backends]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 inquiries, 5 s wrk runs, 60 reads per row")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--inquiries", type=int, help="inquiries to seed (customers: a fifth of it)")
    parser.add_argument("--connections", type=int, help="wrk's open connections (default 32)")
    parser.add_argument("--seconds", type=int, help="each timed wrk run (default 20, --quick 5)")
    parser.add_argument("--reads", type=int, help="timed requests per read endpoint, one at a time")
    parser.add_argument("--jobs-off", action="store_true", help="run without the job worker")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--serve", choices=("gogaek", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.listen_fd)
        return
    wrk_binary()  # before any seeding: exits with how to install wrk when it is missing
    options = options_from(args)
    reports = asyncio.run(run([b for b in args.backends.split(",") if b], options))
    body = render(reports, options, build_command(args))
    print("\n" + body)
    if args.write_docs:
        write_section("inquiry_load", body)


if __name__ == "__main__":
    main()
