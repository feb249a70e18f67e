"""Workers scaling: submissions and 문의 내역 with 1, 2 and 4 web processes, against bare FastAPI.

For each backend a fresh database is seeded as ``inquiry_load`` does (demo categories, agents,
bulk inquiries). Then, for each worker count N, two real servers run one after the other:

- bare FastAPI (``inquiry_load.bare_app``: the same ``InquiryCreate`` validation and response
  models, from memory) under ``uvicorn --workers N`` (uvloop + httptools, no access log);
- Gogaek under ``python -m gogaek serve --workers N`` as production runs it (docs/deployment.md,
  "Processes: web and worker"): web processes with ``GOGAEK_JOBS_ENABLED=false`` and one
  separate ``python -m gogaek worker`` running the jobs the submissions leave.

wrk (``wrk_load``, one thread) drives each: submissions (``POST``, a fresh Idempotency-Key each)
and 문의 내역 (``GET``). The ratio to bare is taken at the same N, the scaling factor against the
same system's one-worker figure. wrk shares the machine's cores with the servers.

    .venv/bin/python benchmarks/workers_scaling.py [--workers 1,2,4] [--backends sqlite,postgres]
        [--seconds 10] [--connections 32] [--inquiries 10000] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

import inquiry_load
from common import stop_server, table, wait_until_ready, write_section
from inquiry_load import _ratio
from wrk_load import WrkResult, wrk_binary

BENCHMARKS = Path(__file__).resolve().parent
TARGET_FACTOR = 1.7  # the bar: PostgreSQL submissions, 2 workers against 1, on ≥ 4 cores
TARGET_CORES = 4
READY_STREAK_PER_WORKER = 4  # consecutive 200s on fresh connections per process before timing


@dataclass(frozen=True, slots=True)
class Options:
    workers: tuple[int, ...] = (1, 2, 4)
    seconds: int = 10
    connections: int = 32
    inquiries: int = 10_000

    def seed_options(self) -> inquiry_load.Options:
        """``inquiry_load``'s options for seeding and wrk: web processes without the job worker."""
        return inquiry_load.Options(
            inquiries=self.inquiries,
            customers=max(1, self.inquiries // 5),
            connections=self.connections,
            seconds=self.seconds,
            jobs_enabled=False,
        )


@dataclass(frozen=True, slots=True)
class Run:
    """Bare and Gogaek with one worker count: wrk results and Gogaek's seconds to ready."""

    workers: int
    bare_post: WrkResult
    bare_listing: WrkResult
    post: WrkResult
    listing: WrkResult
    ready_seconds: float
    server_errors: dict[str, int]


@dataclass(frozen=True, slots=True)
class BackendScaling:
    backend: str
    version: str
    inquiries: int
    runs: tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class Machine:
    cores: int
    cpu: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] | None = None


def parse_counts(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` as sorted distinct worker counts; 1 always comes first (the scaling reference)."""
    counts = {int(part) for part in text.split(",") if part.strip()}
    if not counts or min(counts) < 1:
        raise ValueError(f"worker counts must be positive integers: {text!r}")
    return tuple(sorted(counts | {1}))


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The first ``model name`` of /proc/cpuinfo ("unknown" elsewhere)."""
    try:
        lines = cpuinfo.read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


def machine_now() -> Machine:
    return Machine(os.cpu_count() or 1, cpu_model(), os.getloadavg())


def free_port() -> int:
    """A port free right now (the servers bind it themselves, as ``gogaek serve`` does)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bare_command(port: int, workers: int) -> list[str]:
    """The baseline as ``gogaek serve`` runs Gogaek: uvicorn's factory, uvloop, httptools, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "inquiry_load:bare_app",
        "--factory",
        f"--app-dir={BENCHMARKS}",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        "--loop=uvloop",
        "--http=httptools",
        "--no-access-log",
        "--log-level=warning",
    ]


def gogaek_command(port: int, workers: int, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gogaek",
        "serve",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        *extra,
    ]


@dataclass(frozen=True, slots=True)
class Served:
    base_url: str
    pid: int  # uvicorn's supervisor (the only process with one worker)
    ready_seconds: float  # from start to READY_STREAK_PER_WORKER × N answers of /readyz in a row
    log: Path


@asynccontextmanager
async def served(
    command: Sequence[str], port: int, workers: int, env: Mapping[str, str], workdir: Path, label: str
) -> AsyncIterator[Served]:
    """A server process; yields once every web process likely answers /readyz (see ``all_ready``)."""
    log_path = workdir / f"{label}.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command,
            env={**os.environ, **env},
            cwd=workdir,  # never pick up a developer's .env
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ready_url = f"http://127.0.0.1:{port}/readyz"
        await wait_until_ready(ready_url, process, log_path)
        await all_ready(ready_url, workers)
        yield Served(f"http://127.0.0.1:{port}", process.pid, time.perf_counter() - started, log_path)
    finally:
        await stop_server(process)


async def all_ready(ready_url: str, workers: int) -> None:
    """uvicorn's processes accept on one socket and there is no asking which one answered, so
    this waits for ``READY_STREAK_PER_WORKER × workers`` consecutive 200s, each on a new connection."""
    streak = 0
    async with httpx.AsyncClient(timeout=10, headers={"Connection": "close"}) as http:
        while streak < READY_STREAK_PER_WORKER * workers:
            streak = streak + 1 if (await http.get(ready_url)).status_code == 200 else 0
            if not streak:
                await asyncio.sleep(0.2)


@asynccontextmanager
async def job_worker(env: Mapping[str, str], workdir: Path) -> AsyncIterator[None]:
    """One ``gogaek worker`` process beside the web processes, as deployment.md sets it up."""
    log_path = workdir / "worker.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gogaek",
            "worker",
            env={**os.environ, **env},
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        await stop_server(process)


async def measure_workers(
    workers: int,
    env: Mapping[str, str],
    workdir: Path,
    submitting: Sequence[str],
    reading: Sequence[str],
    options: inquiry_load.Options,
    label: str,
) -> Run:
    """Bare, then Gogaek, with ``workers`` processes each: submissions and 문의 내역 under wrk."""
    bare_post_script, bare_list_script = inquiry_load.load_scripts(workdir, "bare", "/inquiries", submitting, reading)
    port = free_port()
    async with served(bare_command(port, workers), port, workers, {}, workdir, f"bare-{workers}") as bare:
        bare_post = await inquiry_load.measure_load(
            f"{label} bare POST ×{workers}", bare.base_url, bare_post_script, options
        )
        bare_listing = await inquiry_load.measure_load(
            f"{label} bare GET ×{workers}", bare.base_url, bare_list_script, options
        )
    post_script, list_script = inquiry_load.load_scripts(workdir, "gogaek", "/api/v1/inquiries", submitting, reading)
    port = free_port()
    async with (
        job_worker(env, workdir),
        served(gogaek_command(port, workers), port, workers, env, workdir, f"gogaek-{workers}") as gogaek,
    ):
        post = await inquiry_load.measure_load(f"{label} Gogaek POST ×{workers}", gogaek.base_url, post_script, options)
        listing = await inquiry_load.measure_load(
            f"{label} Gogaek GET ×{workers}", gogaek.base_url, list_script, options
        )
    return Run(
        workers, bare_post, bare_listing, post, listing, gogaek.ready_seconds, inquiry_load.server_errors(gogaek.log)
    )


async def benchmark_backend(backend: str, options: Options, workdir: Path) -> BackendScaling:
    seeding = options.seed_options()
    async with inquiry_load.fresh_database(backend, workdir, seeding) as settings:
        print(f"[{backend}] seeding {seeding.inquiries:,} inquiries…", flush=True)
        seed, _, version = await inquiry_load.prepare(settings, seeding)
        env = inquiry_load.server_env(settings)
        submitting, reading = inquiry_load.customer_tokens(settings, seed)
        runs = [
            await measure_workers(n, env, workdir, submitting, reading, seeding, f"[{backend}]")
            for n in options.workers
        ]
    return BackendScaling(backend, version, seeding.inquiries, tuple(runs))


# --- report ----------------------------------------------------------------------------


def scaling_table(report: BackendScaling) -> str:
    """One row per worker count and system: rate, tail, ratio to bare at the same N, factor to N=1."""
    header = ["workers", "system", "req/s", "p50 ms", "p99 ms", "req/s / bare", "× 1 worker", "failed", "wrk CPU"]
    first = report.runs[0]
    rows = []
    for run in report.runs:
        systems = (
            ("bare POST", run.bare_post, run.bare_post, first.bare_post),
            ("Gogaek POST /api/v1/inquiries", run.post, run.bare_post, first.post),
            ("bare GET, 20 summaries", run.bare_listing, run.bare_listing, first.bare_listing),
            ("Gogaek 문의 내역 GET", run.listing, run.bare_listing, first.listing),
        )
        for name, result, bare, one in systems:
            rows.append(
                [
                    str(run.workers),
                    name,
                    f"{result.per_second:,.0f}",
                    f"{result.p50_ms:.1f}",
                    f"{result.p99_ms:.1f}",
                    _ratio(result.per_second, bare.per_second),
                    _ratio(result.per_second, one.per_second),
                    str(result.failures),
                    f"{result.client_cpu:.0%}",
                ]
            )
    return table(header, rows)


def failures_note(reports: Sequence[BackendScaling]) -> str:
    lines = []
    for report in reports:
        for run in report.runs:
            named = {"bare POST": run.bare_post, "POST": run.post, "bare GET": run.bare_listing, "GET": run.listing}
            lines += [
                f"- {report.backend} ×{run.workers} {name}: {result.failures} failed, first: `{result.first_failure}`"
                for name, result in named.items()
                if result.failures
            ]
            lines += [
                f"- {report.backend} ×{run.workers} server log: {n} × `{line}`" for line, n in run.server_errors.items()
            ]
    return "\n".join(lines)


def target_note(reports: Sequence[BackendScaling], cores: int) -> str:
    """The issue's bar for PostgreSQL submissions with 2 workers, and whether this machine can judge it."""
    runs = {run.workers: run for r in reports if r.backend == "postgres" for run in r.runs}
    if 1 not in runs or 2 not in runs:
        return ""
    factor = runs[2].post.per_second / runs[1].post.per_second
    if factor >= TARGET_FACTOR:
        verdict = "met"
    elif cores >= TARGET_CORES:
        verdict = "**not met**"
    else:
        verdict = f"not judged here: {cores} cores shared with wrk, PostgreSQL, the job worker and other people's work"
    return (
        f"PostgreSQL submissions with 2 workers: {factor:.2f}× one worker (the target is ≥ {TARGET_FACTOR}× on a "
        f"machine with ≥ {TARGET_CORES} cores; {verdict}).\n\n"
    )


def render(reports: Sequence[BackendScaling], options: Options, machine: Machine, command: str) -> str:
    after = f"{machine.load_after[0]:.2f}" if machine.load_after else "–"
    sections = [
        f"### {r.backend} ({r.version}, {r.inquiries:,} seeded inquiries)\n\n"
        + scaling_table(r)
        + "\n\nGogaek start-up to ready (all processes answering `/readyz`): "
        + ", ".join(f"×{run.workers} {run.ready_seconds:.1f} s" for run in r.runs)
        for r in reports
    ]
    notes = failures_note(reports)
    return (
        "## Workers scaling\n\n"
        f"Command: `{command}` — {datetime.now(UTC):%Y-%m-%d}, {machine.cores} cores (`nproc`), {machine.cpu},\n"
        f"{platform.machine()}, Python {platform.python_version()}. Load average (1 min) before the run\n"
        f"{machine.load_before[0]:.2f}, after {after}: other people's tests share this machine.\n\n"
        "Gogaek runs as production does (docs/deployment.md): `python -m gogaek serve --workers N`\n"
        "(uvicorn's factory, uvloop + httptools, access log off) with `GOGAEK_JOBS_ENABLED=false`, and one\n"
        "`python -m gogaek worker` beside it running the submissions' jobs. The baseline is\n"
        "`inquiry_load`'s bare FastAPI app under `uvicorn --workers N`, the same way, measured in the same\n"
        f"run right before Gogaek at each N. wrk: 1 thread, {options.connections} connections, "
        f"{options.seconds} s timed after an untimed\n"
        f"{options.seed_options().warmup_seconds} s run. POST: a fresh `Idempotency-Key` each; GET: 문의 내역 "
        "(page of 20) of customers with 5–20\n"
        "inquiries. Failed: socket errors plus any status other than 201 (POST) / 200 (GET).\n"
        '"req/s / bare" compares with the bare app at the same N; "× 1 worker" with the same system\'s\n'
        f"one-process figure. **wrk runs on the same {machine.cores} cores**: its CPU column is its share of\n"
        "one core, so with more processes than cores the servers and the client compete, and the\n"
        "scaling factors show what this machine allows, not what N cores would.\n\n"
        + target_note(reports, machine.cores)
        + "\n\n".join(sections)
        + ("\n\n### Failures\n\n" + notes if notes else "")
        + "\n"
    )


def build_command(args: argparse.Namespace) -> str:
    parts = [
        ".venv/bin/python benchmarks/workers_scaling.py",
        f"--workers {args.workers}",
        f"--backends {args.backends}",
    ]
    parts += [f"--seconds {args.seconds}", f"--connections {args.connections}", f"--inquiries {args.inquiries}"]
    parts += ["--write-docs"] if args.write_docs else []
    return " ".join(parts)


async def run(backends: Sequence[str], options: Options) -> list[BackendScaling]:
    with tempfile.TemporaryDirectory(prefix="gogaek-workers-") as directory:
        return [await benchmark_backend(backend, options, Path(directory)) for backend in backends]


def main() -> None:
    defaults = Options()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="web process counts (1 is always measured)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=defaults.seconds, help="each timed wrk run")
    parser.add_argument("--connections", type=int, default=defaults.connections, help="wrk's open connections")
    parser.add_argument("--inquiries", type=int, default=defaults.inquiries, help="inquiries seeded per backend")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    wrk_binary()  # before any seeding: exits with how to install wrk when it is missing
    options = Options(parse_counts(args.workers), args.seconds, args.connections, args.inquiries)
    machine = machine_now()
    reports = asyncio.run(run([b for b in args.backends.split(",") if b], options))
    finished = Machine(machine.cores, machine.cpu, machine.load_before, os.getloadavg())
    body = render(reports, options, finished, build_command(args))
    print("\n" + body)
    if args.write_docs:
        write_section("workers_scaling", body)


if __name__ == "__main__":
    main()
