"""Chat fan-out: N customers and M agents on live websockets; delivery latency and sustained
messages per second in one app process and in two over Redis, next to a bare relay.

Set-up, per app run: a fresh PostgreSQL database, migrated, with M agents created through the
real service (no demo content); the app runs as real uvicorn processes (uvloop + httptools, no
access log, semantic search off, chat hours "always", automatic assignment on, a seat limit of
N per agent and a frame rate limit far above the benchmark's). Agents connect first, then every
customer connects (``connect_concurrency`` at a time per client process), gets its hello and asks
for a person (``handoff``); automatic assignment gives each chat to the least busy agent, so the
answer bot is not in the measured path. The two-process run puts every customer on one process
and every agent on the other, so each message crosses Redis.

Measured, per rate: customers send at the stated aggregate rate for ``--seconds`` (open loop,
round-robin over all customers); each agent answers every ``reply_every``-th message it receives,
at once. Latency is from the sender's send to the other side's socket receiving the message,
stamped by the receiving client process on the machine's shared monotonic clock. After sending
stops the run waits until every message arrived or nothing moved for a while; whatever never
arrived is reported as lost. Steps of ``--ceiling`` follow the stated rate until one saturates.

Baseline, measured in the same run: ``chat_bare`` — a bare websocket relay (Starlette, the same
uvicorn settings, one writer per socket, no database) with the same sockets and the same rates.

Results and their Markdown live in ``chat_report``; the clients in ``chat_clients``.

    .venv/bin/python benchmarks/chat_fanout.py [--quick] [--customers 2000] [--agents 20] [--rate 200]
        [--ceiling 250,300,400] [--seconds 15] [--join-concurrency 1] [--scenarios bare,one,two] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import inquiry_load
from chat_clients import AGENT, CUSTOMER, PhaseLog, SetupLog, WorkerHandle, WorkerSpec, call_all, raise_fd_limit
from chat_report import (
    GC_LOG_MS,
    QUICK,
    SCENARIOS,
    Options,
    PhaseReport,
    Resources,
    Scenario,
    ScenarioReport,
    render,
)
from chat_stats import flow, latency, sustained_rate
from common import stop_server, wait_until_ready, write_section
from gogaek.config import Settings

REDIS_URL = os.environ.get("GOGAEK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ASSIGN_SECONDS = 300.0  # every active chat's "assigned" frame at its agent
DRAIN_SECONDS = 120.0  # after sending stops, at most
STALL_SECONDS = 10.0  # nothing arrived for this long: what is missing is lost
TOKEN_TTL_SECONDS = 6 * 3600
AGENT_PASSWORD = "chat-bench-password-1"  # noqa: S105 - a throwaway database's agents


# --- processes: CPU and memory from /proc ------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def all_processes() -> dict[int, tuple[str, float]]:
    """Every process on the machine: pid → (command name, CPU seconds)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = ((entry / "comm").read_text().strip(), process_cpu(int(entry.name)))
            except OSError:
                continue
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass(frozen=True, slots=True)
class CpuSample:
    """All processes' CPU at one moment. Summing processes, rather than reading /proc/stat, counts
    the many short bursts of socket work that tick sampling of idle CPUs misses."""

    at: float
    processes: dict[int, tuple[str, float]]

    @classmethod
    def take(cls) -> CpuSample:
        return cls(time.monotonic(), all_processes())

    def until(self, later: CpuSample, servers: Sequence[int], clients: Sequence[int]) -> Resources:
        """Cores used in between, by the processes alive at the later reading (backends come and go)."""
        wall = max(later.at - self.at, 1e-9)
        used = {
            pid: max(0.0, cpu - self.processes.get(pid, (name, 0.0))[1]) / wall
            for pid, (name, cpu) in later.processes.items()
        }

        def named(command: str) -> float:
            return sum(used[pid] for pid, (name, _) in later.processes.items() if name == command)

        return Resources(
            per_server=tuple(used.get(pid, 0.0) for pid in servers),
            clients=sum(used.get(pid, 0.0) for pid in clients),
            postgres=named("postgres"),
            redis=named("redis-server"),
            machine=sum(used.values()),
        )


# --- servers -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    url: str  # ws://127.0.0.1:port
    pid: int
    log: Path


_GC_LINE = re.compile(r"^gc-pause (\d+) ([\d.]+)$", re.MULTILINE)


def log_gc_pauses() -> None:
    """A full (generation 2) collection stops the event loop, every socket with it: the server logs
    each long one with the machine's monotonic clock, so a phase can tell a latency spike is one."""
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
            return
        pause_ms = (time.perf_counter() - started[0]) * 1000
        if pause_ms >= GC_LOG_MS:
            print(f"gc-pause {time.monotonic_ns()} {pause_ms:.1f}", file=sys.stderr, flush=True)

    gc.callbacks.append(callback)


def gc_pauses(servers: Sequence[Server], start_ns: int, end_ns: int) -> list[float]:
    """The servers' logged full-collection pauses (ms) that ended between the two clock readings."""
    pauses = []
    for server in servers:
        for match in _GC_LINE.finditer(server.log.read_text(encoding="utf-8", errors="replace")):
            if start_ns <= int(match.group(1)) <= end_ns:
                pauses.append(float(match.group(2)))
    return pauses


def serve(kind: str, fd: int, agents: int) -> None:
    """Child process: the app or the bare relay under uvicorn, on the socket the parent bound."""
    import uvicorn

    from chat_bare import bare_app
    from gogaek.app import create_app
    from gogaek.chat.connection import WS_MAX_BYTES

    log_gc_pauses()
    app = bare_app(agents) if kind == "bare" else create_app(Settings())
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws_max_size=WS_MAX_BYTES)
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


@asynccontextmanager
async def served(kind: str, env: Mapping[str, str], log: Path, agents: int) -> AsyncIterator[Server]:
    """One server process; yields once /readyz answers 200, and stops it however the run ends."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)  # a burst of customers waits in the backlog, not refused
    port = listener.getsockname()[1]
    try:
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--serve",
                kind,
                "--listen-fd",
                str(listener.fileno()),
                "--agents",
                str(agents),
                pass_fds=(listener.fileno(),),
                env={**os.environ, **env},
                cwd=log.parent,  # never pick up a developer's .env
                stdout=output,
                stderr=subprocess.STDOUT,
            )
    finally:
        listener.close()
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}/readyz", process, log)
        yield Server(f"ws://127.0.0.1:{port}", process.pid, log)
    finally:
        await stop_server(process)


def app_env(settings: Settings, options: Options, redis_prefix: str | None) -> dict[str, str]:
    env = {
        **inquiry_load.server_env(settings),
        "GOGAEK_CHAT_HOURS": "always",
        "GOGAEK_CHAT_AUTO_ASSIGN": "true",
        "GOGAEK_CHAT_MAX_CONCURRENT": str(options.customers),
        "GOGAEK_CHAT_RATE_PER_SECOND": "1000",
        "GOGAEK_CHAT_RATE_BURST": "1000",
    }
    if redis_prefix is not None:
        env |= {"GOGAEK_REDIS_URL": REDIS_URL, "GOGAEK_REDIS_PREFIX": redis_prefix}
    return env


# --- the app's database and credentials ----------------------------------------------------


async def create_agents(settings: Settings, count: int) -> list[int]:
    """Migrates the fresh database and creates ``count`` agents through the real service."""
    from gogaek.db import create_engine, create_sessionmaker
    from gogaek.identity.models import StaffRole
    from gogaek.identity.schemas import StaffCreate
    from gogaek.identity.service import create_staff_user
    from gogaek.migrate import upgrade_database

    engine = create_engine(settings)
    try:
        await upgrade_database(engine)
        async with create_sessionmaker(engine)() as session:
            ids = []
            for number in range(count):
                data = StaffCreate(
                    email=f"chat-bench-{number}@example.com",
                    password=AGENT_PASSWORD,
                    display_name=f"상담사{number + 1:02d}",
                    role=StaffRole.AGENT,
                )
                ids.append((await create_staff_user(session, data)).id)
        return ids
    finally:
        await engine.dispose()


def app_urls(settings: Settings, front: Server, back: Server, customers: int, staff: Sequence[int]) -> Urls:
    """Customers on ``front`` with host tokens, agents on ``back`` with staff bearer tokens."""
    from gogaek.identity.customer_tokens import issue_customer_token
    from gogaek.identity.security import StaffTokenSigner

    signer = StaffTokenSigner(settings.secret_key, settings.session_max_age_seconds)
    run = uuid.uuid4().hex[:6]
    tokens = [
        issue_customer_token(settings, sub=f"bench-{run}-{n}", name="김고객", ttl_seconds=TOKEN_TTL_SECONDS)
        for n in range(customers)
    ]
    return Urls(
        customers=[f"{front.url}/ws/chat?token={token}" for token in tokens],
        agents=[f"{back.url}/ws/agent?token={signer.issue(staff_id)}" for staff_id in staff],
    )


@dataclass(frozen=True, slots=True)
class Urls:
    customers: list[str]
    agents: list[str]


def bare_urls(server: Server, options: Options) -> Urls:
    return Urls(
        customers=[f"{server.url}/ws/chat?cid={n}" for n in range(options.customers)],
        agents=[f"{server.url}/ws/agent?agent={n}" for n in range(options.agents)],
    )


# --- clients and phases ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clients:
    agents: WorkerHandle
    customers: list[WorkerHandle]

    @property
    def all(self) -> list[WorkerHandle]:
        return [self.agents, *self.customers]


@contextmanager
def client_workers(urls: Urls, options: Options) -> Iterator[Clients]:
    """One process for the agents, ``client_processes`` for the customers (every k-th customer each)."""
    handles: list[WorkerHandle] = []
    try:
        agents = WorkerHandle(
            WorkerSpec(AGENT, tuple(enumerate(urls.agents)), options.reply_every, options.connect_concurrency)
        )
        handles.append(agents)
        for part in range(options.client_processes):
            peers = tuple((n, url) for n, url in enumerate(urls.customers) if n % options.client_processes == part)
            handles.append(WorkerHandle(WorkerSpec(CUSTOMER, peers, options.reply_every, options.connect_concurrency)))
        yield Clients(agents, handles[1:])
    finally:
        for handle in handles:
            handle.stop()


async def wait_assigned(clients: Clients, active: int) -> int:
    """Messages are timed only once every agent socket follows its chats (its "assigned" frame came)."""
    deadline = time.monotonic() + ASSIGN_SECONDS
    while True:
        assigned: int = await clients.agents.call("assigned")
        if assigned >= active or time.monotonic() > deadline:
            return assigned
        await asyncio.sleep(0.2)


async def settle_active(clients: Clients, joined: int) -> int:
    """Customers whose chat an agent holds, once that number stops growing; they are the senders."""
    previous, still_since = -1, time.monotonic()
    while True:
        active = int(sum(await call_all(clients.customers, "freeze")))
        if active >= joined or time.monotonic() - still_since > 3.0:
            return active
        if active != previous:
            previous, still_since = active, time.monotonic()
        await asyncio.sleep(0.3)


async def run_phase(
    number: int, rate: float, seconds: float, clients: Clients, servers: Sequence[Server]
) -> PhaseReport:
    """Sends, waits for the stragglers, then matches every message sent to its arrival."""
    parts = len(clients.customers)
    total = max(1, round(rate * seconds))
    start_ns = time.monotonic_ns() + 300_000_000
    before = CpuSample.take()
    await asyncio.gather(
        *(
            worker.call(
                "send",
                phase=number,
                rate=rate / parts,
                count=len(range(part, total, parts)),
                start_ns=start_ns + int(part * 1e9 / rate),
            )
            for part, worker in enumerate(clients.customers)
        )
    )
    resources = before.until(CpuSample.take(), [s.pid for s in servers], [c.pid for c in clients.all])
    drain_seconds = await drain(number, clients)
    pauses = gc_pauses(servers, start_ns, time.monotonic_ns())
    (agent_log, agent_errors), *customer_parts = await call_all(clients.all, "collect", phase=number)
    customer_log = PhaseLog()
    errors: Counter[str] = Counter(agent_errors)
    for log, part_errors in customer_parts:
        customer_log.merge(log)
        errors.update(part_errors)
    to_agent = flow(customer_log.sent, agent_log.deliveries)
    to_customer = flow(agent_log.sent, customer_log.deliveries)
    return PhaseReport(
        rate=rate,
        seconds=seconds,
        to_agent=to_agent,
        to_customer=to_customer,
        customer_ack=flow(customer_log.sent, customer_log.acks),
        sustained=sustained_rate([to_agent, to_customer], start_ns, seconds),
        offered=(len(customer_log.sent) + len(agent_log.sent)) / seconds,
        max_lag_ms=customer_log.max_lag_ms,
        drain_seconds=drain_seconds,
        resources=resources,
        gc_pauses_ms=tuple(pauses),
        errors=dict(errors),
    )


async def drain(phase: int, clients: Clients) -> float:
    """Seconds until everything sent arrived (both ways, and the senders' copies), or nothing moved
    for ``STALL_SECONDS``, or ``DRAIN_SECONDS`` passed."""
    started = last_move = time.monotonic()
    previous: tuple[int, ...] = ()
    while True:
        agent_counts, *customer_counts = await call_all(clients.all, "counts", phase=phase)
        sent, acks, to_customer = (sum(c[i] for c in customer_counts) for i in range(3))
        replies, reply_acks, to_agent = agent_counts
        now = time.monotonic()
        if acks >= sent and to_agent >= sent and reply_acks >= replies and to_customer >= replies:
            return now - started
        state = (acks, to_customer, replies, reply_acks, to_agent)
        if state != previous:
            previous, last_move = state, now
        elif now - last_move > STALL_SECONDS or now - started > DRAIN_SECONDS:
            return now - started
        await asyncio.sleep(0.2)


async def measure(scenario: Scenario, servers: Sequence[Server], urls: Urls, options: Options) -> ScenarioReport:
    """Connects everyone, warms up, then runs the stated rate and the ceiling steps."""
    with client_workers(urls, options) as clients:
        started = time.perf_counter()
        agent_setup: SetupLog = await clients.agents.call("connect")
        customer_setups: list[SetupLog] = await call_all(clients.customers, "connect")
        joined = sum(s.joined for s in customer_setups)
        auto_assigned = sum(s.active for s in customer_setups)
        print(f"[{scenario.key}] {auto_assigned:,} of {joined:,} chats assigned automatically", flush=True)
        accepted = await clients.agents.call("accept_waiting") if auto_assigned < joined else 0
        active = await settle_active(clients, joined)
        assigned = await wait_assigned(clients, active)
        setup_seconds = time.perf_counter() - started
        setup_errors: Counter[str] = Counter()
        for setup in (agent_setup, *customer_setups):
            setup_errors.update(setup.errors)
        if assigned < active:
            setup_errors[f"agents got {assigned:,} of {active:,} assigned frames in {ASSIGN_SECONDS:.0f} s"] += 1
        rss_setup = tuple(rss_mb(s.pid) for s in servers)
        print(f"[{scenario.key}] set up in {setup_seconds:.1f} s; warming up", flush=True)
        warmup = await run_phase(0, options.rate, options.warmup_seconds, clients, servers)
        phases = []
        for number, rate in enumerate(options.rates, start=1):
            phase = await run_phase(number, rate, options.seconds, clients, servers)
            phases.append(phase)
            print(f"[{scenario.key}] {progress_line(phase)}", flush=True)
            if phase.saturated:
                break
        rss_end = tuple(rss_mb(s.pid) for s in servers)
        await call_all(clients.all, "close")
    hellos = [ms for s in customer_setups for ms in s.hello_ms]
    return ScenarioReport(
        scenario=scenario,
        customers=options.customers,
        agents=options.agents,
        joined=joined,
        auto_assigned=auto_assigned,
        accepted=accepted,
        active=active,
        agents_joined=agent_setup.joined,
        setup_seconds=setup_seconds,
        hello=latency(hellos),
        to_active=latency([ms for s in customer_setups for ms in s.active_ms]),
        rss_mb_setup=rss_setup,
        rss_mb_end=rss_end,
        warmup=warmup,
        phases=tuple(phases),
        setup_errors=dict(setup_errors),
    )


def progress_line(phase: PhaseReport) -> str:
    return (
        f"{phase.rate:.0f}/s: c→a p50 {phase.to_agent.latency.p50_ms:.1f} p99 {phase.to_agent.latency.p99_ms:.1f} ms, "
        f"a→c p99 {phase.to_customer.latency.p99_ms:.1f} ms, {phase.sustained:.0f} of {phase.offered:.0f} msg/s, "
        f"lost {phase.lost}, server {phase.resources.servers:.2f} cores"
    )


async def run_scenario(scenario: Scenario, options: Options, workdir: Path) -> ScenarioReport:
    """Servers (and for the app, a fresh database) for one scenario, torn down whatever happens."""
    directory = workdir / scenario.key
    directory.mkdir(parents=True, exist_ok=True)
    print(f"[{scenario.key}] starting {scenario.label}", flush=True)
    async with AsyncExitStack() as stack:
        if not scenario.app:
            bare = await stack.enter_async_context(served("bare", {}, directory / "bare.log", options.agents))
            servers: list[Server] = [bare]
            urls = bare_urls(bare, options)
        else:
            settings = await stack.enter_async_context(
                inquiry_load.fresh_database("postgres", directory, inquiry_load.Options())
            )
            staff = await create_agents(settings, options.agents)
            prefix = f"bench-{uuid.uuid4().hex[:8]}:" if scenario.processes > 1 else None
            env = app_env(settings, options, prefix)
            servers = [
                await stack.enter_async_context(served("gogaek", env, directory / f"gogaek-{n}.log", options.agents))
                for n in range(scenario.processes)
            ]
            urls = app_urls(settings, servers[0], servers[-1], options.customers, staff)
        report = await measure(scenario, servers, urls, options)
    errors: Counter[str] = Counter()
    for server in servers:
        errors.update(logged_exceptions(server.log))
    return replace(report, server_errors=dict(errors.most_common(5)))


def logged_exceptions(log: Path) -> Counter[str]:
    """Exceptions in a server's log by their last line and the innermost line of our code: what
    stands behind an ``internal_error`` frame."""
    found: Counter[str] = Counter()
    where: str | None = None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("Traceback (most recent call last)"):
            where = ""
        elif where is not None and "/src/gogaek/" in line:
            path, _, rest = line.partition("/src/gogaek/")[2].partition('", line ')
            where = f"{path}:{rest.replace(', in ', ' in ')}"
        elif where is not None and line and not line[0].isspace():
            found[f"{line.strip()[:120]} (at {where or 'library code'})"] += 1
            where = None
    return found


# --- command line --------------------------------------------------------------------------------


def build_command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python benchmarks/chat_fanout.py"]
    parts += ["--quick"] if args.quick else []
    parts += [
        f"--{name.replace('_', '-')} {value}"
        for name, value in vars(args).items()
        if name in ("customers", "agents", "rate", "ceiling", "seconds", "scenarios", "join_concurrency")
        and value is not None
    ]
    parts += ["--write-docs"] if args.write_docs else []
    return " ".join(parts)


def options_from(args: argparse.Namespace) -> Options:
    base = QUICK if args.quick else Options()
    overrides: dict[str, object] = {
        name: getattr(args, name) for name in ("customers", "agents", "rate", "seconds") if getattr(args, name)
    }
    if args.join_concurrency:
        overrides["connect_concurrency"] = args.join_concurrency
    if args.ceiling is not None:
        overrides["ceiling"] = tuple(float(v) for v in args.ceiling.split(",") if v)
    if args.scenarios:
        unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))} (bare, one, two)")
        overrides["scenarios"] = tuple(args.scenarios.split(","))
    return replace(base, **overrides)  # type: ignore[arg-type]


async def run(options: Options) -> list[ScenarioReport]:
    main_task = asyncio.current_task()
    assert main_task is not None
    # A plain kill (timeout, CI) unwinds like Ctrl-C: servers stopped, databases dropped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    with tempfile.TemporaryDirectory(prefix="gogaek-chat-bench-") as directory:
        return [await run_scenario(SCENARIOS[key], options, Path(directory)) for key in options.scenarios]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 customers, 5 agents, 100 msg/s for 5 s")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--agents", type=int)
    parser.add_argument("--rate", type=float, help="customer messages per second, all customers together")
    parser.add_argument("--ceiling", help="further rates to try, comma-separated ('' for none)")
    parser.add_argument("--seconds", type=float, help="seconds of sending per rate")
    parser.add_argument("--scenarios", help="comma-separated: bare, one, two")
    parser.add_argument("--join-concurrency", type=int, help="customers joining at once per client process")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--serve", choices=("gogaek", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.listen_fd, args.agents)
        return
    raise_fd_limit()
    options = options_from(args)
    try:
        reports = asyncio.run(run(options))
    except asyncio.CancelledError:
        raise SystemExit("stopped (SIGTERM); servers and databases were cleaned up") from None
    body = render(reports, options, build_command(args))
    print("\n" + body)
    if args.write_docs:
        write_section("chat-fanout", body)


if __name__ == "__main__":
    main()
