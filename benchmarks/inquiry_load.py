"""Inquiry load: submissions per second and tail latency, 문의 내역 and agent queue at 100,000 inquiries.

Each backend (SQLite, PostgreSQL) gets a fresh database: migrated, demo categories loaded,
agents created and 100,000 inquiries bulk-seeded (``inquiry_seed``). The app then runs as a
real server — one uvicorn process (uvloop + httptools) on a socket this script binds and
hands over — with the job worker on, as in production. httpx clients in this process
submit inquiries concurrently (``POST /api/v1/inquiries``, JSON, many customers, an
Idempotency-Key each), then time 문의 내역 (``GET /api/v1/inquiries``) and the agent queue views
(``GET /api/v1/agent/inquiries?view=…``) one request at a time.

Baseline, measured in the same run right before each backend: a bare FastAPI app served the
same way, whose POST validates the same JSON with the app's own ``InquiryCreate`` and answers
201, and whose GETs return the same response models (20 ``InquirySummary`` rows, 50
``QueueRow`` rows) from memory. The ratios are what the database, sign-in and business rules
cost on top of the framework.

    .venv/bin/python benchmarks/inquiry_load.py [--quick] [--backends sqlite,postgres] [--write-docs]
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
from dataclasses import dataclass, field
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
    submissions: int = 2_000
    concurrency: int = 16
    reads: int = 300  # timed requests per read endpoint
    read_concurrency: int = 1
    jobs_enabled: bool = True

    @property
    def submission_warmup(self) -> int:
        """Untimed submissions before the timed ones (they are inquiries in the database too)."""
        return self.concurrency * 2


QUICK = Options(inquiries=10_000, customers=2_000, submissions=300, reads=60)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a batch of timed requests did: latencies of every request, failures counted apart."""

    latencies_ms: tuple[float, ...]
    failures: int
    seconds: float
    client_cpu_seconds: float
    first_failure: str | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


@dataclass(frozen=True, slots=True)
class BackendReport:
    backend: str
    version: str
    seed: inquiry_seed.SeedReport
    seed_seconds: float
    rows_at_reads: int
    bare_post: LoadResult
    bare_history: LoadResult
    bare_queue: LoadResult
    submissions: LoadResult
    history: LoadResult
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
    base_url: str,
    calls: Callable[[int], Call],
    total: int,
    concurrency: int,
    expected_status: int,
    warmup: int = 0,
) -> LoadResult:
    """``total`` timed requests from ``concurrency`` clients with a keep-alive connection each.

    ``calls(n)`` builds the n-th request. The clients are built and ``warmup`` untimed requests
    sent first, so client set-up, connecting and the server's first-use costs stay out of the
    numbers.
    """
    clients = [httpx.AsyncClient(base_url=base_url, timeout=120) for _ in range(max(1, concurrency))]
    try:
        await _run(clients, calls, range(total, total + warmup), expected_status)
        started, started_cpu = time.perf_counter(), time.process_time()
        latencies, failures = await _run(clients, calls, range(total), expected_status)
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    finally:
        for client in clients:
            await client.aclose()
    return LoadResult(tuple(latencies), len(failures), seconds, cpu, failures[0] if failures else None)


async def _run(
    clients: Sequence[httpx.AsyncClient], calls: Callable[[int], Call], numbers: range, expected_status: int
) -> tuple[list[float], list[str]]:
    """Each client takes the next request number as soon as its previous answer is in."""
    pending = iter(numbers)
    latencies: list[float] = []
    failures: list[str] = []

    async def work(http: httpx.AsyncClient) -> None:
        for number in pending:
            call = calls(number)
            started = time.perf_counter()
            try:
                response = await http.request(call.method, call.path, headers=call.headers, json=call.json)
            except httpx.HTTPError as exc:
                failures.append(f"{call.method} {call.path}: {exc!r}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == expected_status:
                latencies.append(elapsed)
            else:
                failures.append(f"{call.method} {call.path}: {response.status_code} {response.text[:300]}")

    await asyncio.gather(*(work(client) for client in clients))
    return latencies, failures


def submission_calls(tokens: Sequence[str], path: str = "/api/v1/inquiries") -> Callable[[int], Call]:
    """Inquiries from many customers, each with its own Idempotency-Key, as the pay app sends them."""
    run = uuid.uuid4().hex[:8]
    templates = [(slug, pair) for slug, pairs in inquiry_seed.TEMPLATES.items() for pair in pairs]

    def call(number: int) -> Call:
        slug, (title, body) = templates[number % len(templates)]
        payload = {"category": slug, "title": title, "body": f"{body} (#{number})"}
        if number % 3 == 0:
            payload["transaction_ref"] = f"T{number:011d}"
        headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}", "Idempotency-Key": f"{run}-{number}"}
        return Call("POST", path, headers, payload)

    return call


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
        bare_post, bare_history, bare_queue = await measure_bare(env, workdir, submitting, options)
        async with served("gogaek", env, workdir) as base_url:
            print(f"[{backend}] {options.submissions:,} submissions, {options.concurrency} clients", flush=True)
            submissions = await drive(
                base_url,
                submission_calls(submitting),
                options.submissions,
                options.concurrency,
                201,
                warmup=options.submission_warmup,
            )
            drained = await wait_for_jobs(settings) if options.jobs_enabled else None
            rows, _ = await database_counts(settings)
            print(f"[{backend}] reads with {rows:,} inquiries in the database", flush=True)
            history = await read(base_url, "/api/v1/inquiries", reading, options)
            queue = await measure_queue(base_url, seed.agent_email, options)
        _, jobs = await database_counts(settings)
        return BackendReport(
            backend=backend,
            version=version,
            seed=seed,
            seed_seconds=seed_seconds,
            rows_at_reads=rows,
            bare_post=bare_post,
            bare_history=bare_history,
            bare_queue=bare_queue,
            submissions=submissions,
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


async def measure_bare(
    env: Mapping[str, str], workdir: Path, tokens: Sequence[str], options: Options
) -> tuple[LoadResult, LoadResult, LoadResult]:
    """The baseline's POST at the submission concurrency and its two GETs at the read concurrency."""
    async with served("bare", env, workdir) as base_url:
        post = await drive(
            base_url,
            submission_calls(tokens, "/inquiries"),
            options.submissions,
            options.concurrency,
            201,
            warmup=options.submission_warmup,
        )
        history = await read(base_url, "/inquiries", tokens, options)
        queue = await read(base_url, f"/queue?limit={QUEUE_PAGE}", tokens, options)
    return post, history, queue


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
    """GETs at the read concurrency after a few untimed ones."""
    warmup = max(10, options.read_concurrency)
    return await drive(base_url, get_calls(path, tokens), options.reads, options.read_concurrency, 200, warmup)


# --- report ----------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "–"


def submissions_table(reports: Sequence[BackendReport]) -> str:
    header = [
        "backend",
        "system",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "req/s / bare",
        "p99 / bare",
        "failed",
        "client CPU",
    ]
    rows = []
    for report in reports:
        base = report.bare_post
        systems = (("bare FastAPI POST (baseline)", base), ("Gogaek POST /api/v1/inquiries", report.submissions))
        for name, result in systems:
            rows.append(
                [
                    report.backend,
                    name,
                    f"{result.requests:,}",
                    f"{result.per_second:.0f}",
                    _ms(result.percentile(50)),
                    _ms(result.percentile(95)),
                    _ms(result.percentile(99)),
                    _ratio(result.per_second, base.per_second),
                    _ratio(result.percentile(99), base.percentile(99)),
                    str(result.failures),
                    f"{result.client_cpu_seconds / result.seconds:.0%}" if result.seconds else "–",
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
        results = {"submit": report.submissions, "문의 내역": report.history, **report.queue}
        for name, result in results.items():
            if result.first_failure:
                lines.append(f"- {report.backend} {name}: {result.failures} failed, first: `{result.first_failure}`")
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
        f"### Submissions ({options.concurrency} concurrent clients)\n\n"
        "Seeded customers with host bearer tokens, an `Idempotency-Key` each, into a database that\n"
        "already holds the seeded inquiries. The baseline validates the same JSON with `InquiryCreate`\n"
        "and answers 201. Client CPU is the load generator's share of one core: near 100 % means the\n"
        "client, not the server, limited the rate.\n\n"
        + submissions_table(reports)
        + "\n\n"
        + drain_note(reports, options)
        + f"\n\n### Reads ({options.read_concurrency} request at a time, {options.reads} timed per row)\n\n"
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
    parts += [f"--{name.replace('_', '-')} {value}" for name, value in _overrides(args).items()]
    parts += ["--write-docs"] if args.write_docs else []
    return " ".join(parts)


def _overrides(args: argparse.Namespace) -> dict[str, int]:
    return {
        name: getattr(args, name)
        for name in ("inquiries", "submissions", "concurrency", "reads")
        if getattr(args, name) is not None
    }


def options_from(args: argparse.Namespace) -> Options:
    options = QUICK if args.quick else Options()
    return Options(
        inquiries=args.inquiries or options.inquiries,
        customers=max(1, args.inquiries // 5) if args.inquiries else options.customers,
        submissions=args.submissions or options.submissions,
        concurrency=args.concurrency or options.concurrency,
        reads=args.reads or options.reads,
        read_concurrency=options.read_concurrency,
        jobs_enabled=not args.jobs_off,
    )


async def run(backends: Sequence[str], options: Options) -> list[BackendReport]:
    with tempfile.TemporaryDirectory(prefix="gogaek-bench-") as directory:
        return [await benchmark_backend(backend, options, Path(directory)) for backend in backends]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 inquiries, 300 submissions, 60 reads per row")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--inquiries", type=int, help="inquiries to seed (customers: a fifth of it)")
    parser.add_argument("--submissions", type=int)
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--reads", type=int, help="timed requests per read endpoint")
    parser.add_argument("--jobs-off", action="store_true", help="run without the job worker")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--serve", choices=("gogaek", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.listen_fd)
        return
    options = options_from(args)
    reports = asyncio.run(run([b for b in args.backends.split(",") if b], options))
    body = render(reports, options, build_command(args))
    print("\n" + body)
    if args.write_docs:
        write_section("inquiry_load", body)


if __name__ == "__main__":
    main()
