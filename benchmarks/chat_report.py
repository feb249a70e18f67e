"""What a chat fan-out run measured, and how it reads in docs/benchmarks.md.

The run itself is ``chat_fanout``; this module holds its results and renders them, so the numbers
can be checked (and the section rendered) without starting a server.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chat_stats import Flow, Latency
from common import table

SATURATED_P99_MS = 1000.0
GC_LOG_MS = 20.0  # full collections longer than this are logged by the server process


@dataclass(frozen=True, slots=True)
class Options:
    customers: int = 2000
    agents: int = 20
    rate: float = 200.0  # customer messages per second, all customers together
    ceiling: tuple[float, ...] = (250.0, 300.0, 400.0)  # further rates, until one saturates
    seconds: float = 15.0
    warmup_seconds: float = 3.0
    client_processes: int = 2  # for the customers; the agents get one more
    reply_every: int = 2
    # Customers joining at once per client process. A join storm is a set-up cost, not fan-out: every
    # queue change goes to every connected customer, and each waiting one scans the whole queue.
    connect_concurrency: int = 1
    scenarios: tuple[str, ...] = ("bare", "one", "two")

    @property
    def rates(self) -> tuple[float, ...]:
        return (self.rate, *self.ceiling)


QUICK = Options(customers=100, agents=5, rate=100.0, ceiling=(), seconds=5.0, warmup_seconds=1.0)


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    label: str
    app: bool  # the Gogaek app; else the bare relay
    processes: int


SCENARIOS = {
    s.key: s
    for s in (
        Scenario("bare", "bare relay (baseline), 1 process", app=False, processes=1),
        Scenario("one", "Gogaek, 1 process", app=True, processes=1),
        Scenario("two", "Gogaek, 2 processes over Redis", app=True, processes=2),
    )
}


@dataclass(frozen=True, slots=True)
class Resources:
    """Cores in use while the messages were being sent (1.0 = one core busy)."""

    per_server: tuple[float, ...]  # the customers' process first
    clients: float
    postgres: float
    redis: float
    machine: float

    @property
    def servers(self) -> float:
        return sum(self.per_server)

    @property
    def other(self) -> float:
        """Everything else on the machine: other people's work shows up here."""
        return max(0.0, self.machine - self.servers - self.clients - self.postgres - self.redis)


@dataclass(frozen=True, slots=True)
class PhaseReport:
    rate: float  # customer messages per second asked for
    seconds: float
    to_agent: Flow
    to_customer: Flow
    customer_ack: Flow  # the customer's own message back: stored and acknowledged
    sustained: float  # messages delivered per second, both directions
    offered: float  # messages sent per second, both directions
    max_lag_ms: float  # the customer clients' worst delay against their schedule
    drain_seconds: float
    resources: Resources
    gc_pauses_ms: tuple[float, ...]  # the servers' full collections over 20 ms, sending and drain
    errors: dict[str, int]

    @property
    def lost(self) -> int:
        return self.to_agent.lost + self.to_customer.lost

    @property
    def saturated(self) -> bool:
        """The server (or the clients) no longer kept up: a slower tail, a backlog, or loss."""
        return (
            self.lost > 0
            or self.sustained < 0.9 * self.offered
            or max(self.to_agent.latency.p99_ms, self.to_customer.latency.p99_ms) > SATURATED_P99_MS
        )


@dataclass(frozen=True, slots=True)
class ScenarioReport:
    scenario: Scenario
    customers: int
    agents: int
    joined: int  # customers that got their hello
    auto_assigned: int  # chats an agent had through automatic assignment after the handoff
    accepted: int  # chats left waiting that the agents' consoles then accepted
    active: int  # customers whose chat an agent held before the measuring
    agents_joined: int
    setup_seconds: float
    hello: Latency  # customer connect → hello
    to_active: Latency  # handoff → status active
    rss_mb_setup: tuple[float, ...]  # per server process, after set-up
    rss_mb_end: tuple[float, ...]
    warmup: PhaseReport
    phases: tuple[PhaseReport, ...]
    setup_errors: dict[str, int]
    server_errors: dict[str, int] = field(default_factory=dict)


def _ms(value: Latency) -> str:
    return f"{value.p50_ms:.1f} / {value.p99_ms:.1f} / {value.max_ms:.0f}"


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}×" if base else "–"


def _bare_phase(reports: Sequence[ScenarioReport], rate: float) -> PhaseReport | None:
    for report in reports:
        if not report.scenario.app:
            return next((p for p in report.phases if p.rate == rate), None)
    return None


def delivery_table(reports: Sequence[ScenarioReport]) -> str:
    header = [
        "system",
        "customer msg/s",
        "sent c→a / a→c",
        "lost",
        "c→a ms p50 / p99 / max",
        "a→c ms p50 / p99 / max",
        "delivered msg/s",
        "c→a p99 / bare",
        "msg/s / bare",
    ]
    rows = []
    for report in reports:
        for phase in report.phases:
            bare = _bare_phase(reports, phase.rate)
            lost = f"**{phase.lost:,} LOST**" if phase.lost else "0"
            rows.append(
                [
                    report.scenario.label,
                    f"{phase.rate:.0f}",
                    f"{phase.to_agent.sent:,} / {phase.to_customer.sent:,}",
                    lost,
                    _ms(phase.to_agent.latency),
                    _ms(phase.to_customer.latency),
                    f"{phase.sustained:.0f} of {phase.offered:.0f}",
                    _ratio(phase.to_agent.latency.p99_ms, bare.to_agent.latency.p99_ms if bare else None),
                    _ratio(phase.sustained, bare.sustained if bare else None),
                ]
            )
    return table(header, rows)


def resources_table(reports: Sequence[ScenarioReport]) -> str:
    header = [
        "system",
        "customer msg/s",
        "server processes",
        "client processes",
        "PostgreSQL",
        "Redis",
        "anything else",
        "all processes",
        "server full-GC pauses > 20 ms (longest)",
        "customer ack ms p50 / p99",
        "client lag max ms",
    ]
    rows = []
    for report in reports:
        for phase in report.phases:
            r = phase.resources
            rows.append(
                [
                    report.scenario.label,
                    f"{phase.rate:.0f}",
                    " + ".join(f"{cores:.2f}" for cores in r.per_server),
                    f"{r.clients:.2f}",
                    f"{r.postgres:.2f}",
                    f"{r.redis:.2f}",
                    f"{r.other:.2f}",
                    f"{r.machine:.2f} of {os.cpu_count()}",
                    f"{len(phase.gc_pauses_ms)} ({max(phase.gc_pauses_ms, default=0):.0f} ms)",
                    f"{phase.customer_ack.latency.p50_ms:.1f} / {phase.customer_ack.latency.p99_ms:.1f}",
                    f"{phase.max_lag_ms:.0f}",
                ]
            )
    return table(header, rows)


def capacity_table(reports: Sequence[ScenarioReport]) -> str:
    """How far each system kept up, and what one delivered message cost its server in CPU."""
    header = ["system", "kept up to (customer msg/s)", "first step that saturated", "server CPU ms / message", "× bare"]
    bare_cost = next((server_ms_per_message(r) for r in reports if not r.scenario.app), None)
    rows = []
    for report in reports:
        kept = [p.rate for p in report.phases if not p.saturated]
        first = next((p for p in report.phases if p.saturated), None)
        cost = server_ms_per_message(report)
        rows.append(
            [
                report.scenario.label,
                f"{max(kept):.0f}" if kept else "none",
                f"{first.rate:.0f} (server {first.resources.servers:.2f} cores, machine {first.resources.machine:.2f})"
                if first
                else "none",
                f"{cost:.2f}",
                _ratio(cost, bare_cost),
            ]
        )
    return table(header, rows)


def server_ms_per_message(report: ScenarioReport) -> float:
    """Server CPU per message delivered, at the stated rate (the first step)."""
    phase = report.phases[0] if report.phases else report.warmup
    return phase.resources.servers / phase.sustained * 1000 if phase.sustained else 0.0


def setup_table(reports: Sequence[ScenarioReport]) -> str:
    header = [
        "system",
        "customers connected",
        "auto-assigned",
        "accepted from queue",
        "chats measured",
        "agents",
        "set-up s",
        "connect → hello ms p50 / p99",
        "handoff → active ms p50 / p99",
        "server RSS MB after set-up",
        "at the end",
    ]
    rows = [
        [
            r.scenario.label,
            f"{r.joined:,} of {r.customers:,}",
            f"{r.auto_assigned:,}",
            f"{r.accepted:,}",
            f"{r.active:,}",
            f"{r.agents_joined} / {r.agents}",
            f"{r.setup_seconds:.1f}",
            f"{r.hello.p50_ms:.0f} / {r.hello.p99_ms:.0f}",
            f"{r.to_active.p50_ms:.0f} / {r.to_active.p99_ms:.0f}",
            " + ".join(f"{mb:.0f}" for mb in r.rss_mb_setup),
            " + ".join(f"{mb:.0f}" for mb in r.rss_mb_end),
        ]
        for r in reports
    ]
    return table(header, rows)


def findings(reports: Sequence[ScenarioReport]) -> list[str]:
    """What limited each app run, read off the measurements (not a profile)."""
    lines = []
    cores = os.cpu_count() or 1
    for report in (r for r in reports if r.scenario.app):
        name = report.scenario.label
        first = next((p for p in report.phases if p.saturated), None)
        if first is not None:
            r = first.resources
            if max(r.per_server) >= 0.85:
                each = " + ".join(f"{cores:.2f}" for cores in r.per_server)
                order = "; customers' process first" if len(r.per_server) > 1 else ""
                cause = f"a server process's event loop is CPU-bound ({each} cores{order})"
            elif r.machine >= 0.85 * cores:
                cause = (
                    f"every core of the machine is busy (server {r.servers:.2f}, PostgreSQL {r.postgres:.2f}, "
                    f"clients {r.clients:.2f}, Redis {r.redis:.2f}, anything else {r.other:.2f})"
                )
            else:
                cause = "neither the server nor the machine is out of CPU: waiting on the database or Redis"
            lines.append(f"- {name}: saturates at {first.rate:.0f} customer msg/s; {cause}.")
        pauses = [pause for p in report.phases for pause in p.gc_pauses_ms]
        if pauses:
            lines.append(
                f"- {name}: {len(pauses)} full garbage collection(s) over {GC_LOG_MS:.0f} ms in the servers while "
                f"measuring, the longest {max(pauses):.0f} ms; each stops every socket of its process at once, "
                "so every message caught behind one waits that long (the p99 of a step that has one)."
            )
    return lines


def problems(reports: Sequence[ScenarioReport]) -> list[str]:
    """Everything that went wrong, one line each: loss first."""
    lines = []
    for report in reports:
        name = report.scenario.label
        for phase in (report.warmup, *report.phases):
            which = "warm-up" if phase is report.warmup else f"{phase.rate:.0f} msg/s"
            for direction, f in (("customer → agent", phase.to_agent), ("agent → customer", phase.to_customer)):
                if f.lost or f.duplicates:
                    lines.append(
                        f"- **{name}, {which}: {direction} lost {f.lost:,} of {f.sent:,}, {f.duplicates:,} duplicates**"
                    )
            lines += [f"- {name}, {which}: {count:,} × {error}" for error, count in phase.errors.items()]
        if report.auto_assigned < report.joined:
            lines.append(
                f"- **{name}: automatic assignment left {report.joined - report.auto_assigned:,} of "
                f"{report.joined:,} chats waiting; the agents' consoles accepted them from the queue so that "
                "every chat is measured (see the server log lines below)**"
            )
        if report.active < report.customers:
            lines.append(f"- **{name}: only {report.active:,} of {report.customers:,} customers reached an agent**")
        lines += [f"- {name}, set-up: {count:,} × {error}" for error, count in report.setup_errors.items()]
        lines += [f"- {name}, server log: {count:,} × `{line}`" for line, count in report.server_errors.items()]
    return lines


def loss_line(reports: Sequence[ScenarioReport]) -> str:
    phases = [p for r in reports for p in (r.warmup, *r.phases)]
    lost = sum(p.lost for p in phases)
    repeated = sum(p.to_agent.duplicates + p.to_customer.duplicates for p in phases)
    if lost or repeated:
        return f"**{lost:,} messages were lost and {repeated:,} delivered twice: see Problems.**\n\n"
    sent = sum(p.to_agent.sent + p.to_customer.sent for p in phases)
    return f"No message was lost or duplicated ({sent:,} sent, warm-ups included).\n\n"


def render(reports: Sequence[ScenarioReport], options: Options, command: str) -> str:
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    issues, limits = problems(reports), findings(reports)
    return (
        "## Chat fan-out\n\n"
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d}, {machine}; servers, PostgreSQL, Redis and\n"
        "the load generator share these cores.\n\n"
        f"{options.customers:,} customers and {options.agents} agents on live websockets. Stated rate:\n"
        f"{options.rate:.0f} customer messages per second (the first row of each system) plus the agents'\n"
        f"replies: each agent answers {every(options.reply_every)} at once. Every chat is with an agent before\n"
        "the clock starts (handoff + automatic assignment), so the bot is not in the path. Customers send\n"
        f"for {options.seconds:.0f} s a step (open loop, round-robin over all customers). Latency: send → the\n"
        "other side's socket, stamped by the receiving client process on the shared monotonic clock.\n"
        "Steps above the stated rate stop at the first that saturates (loss, delivered < 90 % of sent,\n"
        f"or p99 > {SATURATED_P99_MS:.0f} ms).\n\n"
        "The app runs on a fresh PostgreSQL database per run (no demo content); the two-process run has\n"
        "every customer on one process and every agent on the other, so each message crosses Redis. The\n"
        "baseline is `benchmarks/chat_bare.py`: a websocket relay on the same uvicorn settings with one\n"
        "writer per socket and no database, sign-in or hub. Clients: the `websockets` library, one process\n"
        f"for the agents and {options.client_processes} for the customers (their CPU is in the table below),\n"
        "permessage-deflate as negotiated by default. Each server logs its full garbage collections\n"
        "(`gc.callbacks`), so a latency spike can be told from a backlog.\n\n"
        + loss_line(reports)
        + ("### Problems\n\n" + "\n".join(issues) + "\n\n" if issues else "")
        + ("### What limits it\n\n" + "\n".join(limits) + "\n\n" if limits else "")
        + "### Delivery\n\n"
        "`delivered msg/s`: messages of both directions delivered per second from the first send to the\n"
        "last arrival, against those sent; ratios are against the bare relay at the same rate.\n\n"
        + delivery_table(reports)
        + "\n\n### Capacity\n\n"
        "`server CPU ms / message`: the server processes' CPU time per delivered message (both directions)\n"
        "at the stated rate; with every core busy the machine, not the server alone, sets the ceiling.\n"
        "The cores are shared with other work: repeated runs differed by up to about 20 % in server CPU\n"
        "at the same step, so a step next to the ceiling can land on either side.\n\n"
        + capacity_table(reports)
        + "\n\n### Where the CPU went (cores in use while sending)\n\n"
        "`customer ack`: a customer's own message coming back (stored, then broadcast).\n\n"
        + resources_table(reports)
        + "\n\n### Set-up\n\n"
        f"Agents connect first; customers then join {options.connect_concurrency} at a time per client process\n"
        "(connect, hello, handoff, wait for the agent). Chats that automatic assignment leaves waiting are\n"
        "accepted from the queue by the agents' consoles, and reported above.\n\n" + setup_table(reports) + "\n"
    )


def every(number: int) -> str:
    return "every message" if number == 1 else f"one message in {number}"
