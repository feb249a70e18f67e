"""CPU per request of the write path and 문의 내역, with no network and no load generator.

Each system answers requests one at a time through its ASGI interface, called directly in its own
process, and the process's CPU time is divided by the requests: what one request costs the
server, free of the client's speed and of the scheduling that a concurrent load adds (those are
``inquiry_load.py``'s business). The systems are the bare FastAPI floor (``inquiry_load.bare_app``,
same request and response models), this tree, and with ``--before REV`` the app as it was at git
revision ``REV`` (its ``src/`` exported and put first on the measuring process's ``PYTHONPATH``).
They take turns, round after round, on copies of one seeded database; the median round is
reported. Job worker off: the jobs a submission leaves are ``job_drain.py``'s measure.

    .venv/bin/python benchmarks/request_cost.py [--before REV] [--backends sqlite,postgres]
        [--requests 400] [--rounds 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import inquiry_load
from common import table, write_section
from gogaek.config import Settings
from search_load import export_source

BACKENDS = ("sqlite", "postgres")
SUBMISSION = {
    "category": "payment",
    "title": "결제가 두 번 됐어요",
    "body": "편의점에서 한 번 결제했는데 두 번 빠져나갔어요.",
}
SEEDED = inquiry_load.Options(inquiries=10_000, customers=2_000)


@dataclass(frozen=True, slots=True)
class Cost:
    """CPU milliseconds per request of one system in one round."""

    listing: float
    submission: float


# --- the measuring process ---------------------------------------------------------------


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def _call(app: Any, method: str, path: str, token: str, body: bytes = b"") -> int:
    headers = [(b"authorization", f"Bearer {token}".encode())]
    if method == "POST":
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"idempotency-key", uuid.uuid4().hex.encode()),
        ]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(_scope(method, path, headers), receive, send)
    return statuses[0]


async def _cpu_per_request(
    app: Any, method: str, path: str, tokens: Sequence[str], requests: int, expected: int
) -> float:
    """CPU ms per request after an untimed warm-up of every token (first visits write the profile)."""

    def body(number: int) -> bytes:
        text = {**SUBMISSION, "body": f"{SUBMISSION['body']} #{number}"}
        return json.dumps(text, ensure_ascii=False).encode() if method == "POST" else b""

    for number, token in enumerate(tokens):
        await _call(app, method, path, token, body(number))
    started = time.process_time()
    for number in range(requests):
        status = await _call(app, method, path, tokens[number % len(tokens)], body(number))
        if status != expected:
            raise RuntimeError(f"{method} {path} answered {status}, not {expected}")
    return (time.process_time() - started) / requests * 1000


async def measure(kind: str, tokens: dict[str, list[str]], requests: int) -> Cost:
    """In the measuring process: the app from this process's ``GOGAEK_*`` environment, or the floor."""
    if kind == "bare":
        app: Any = inquiry_load.bare_app()
        path = "/inquiries"
    else:
        from gogaek.app import create_app

        app = create_app(Settings())
        path = "/api/v1/inquiries"
    async with app.router.lifespan_context(app):
        listing = await _cpu_per_request(app, "GET", path, tokens["reading"], requests, 200)
        submission = await _cpu_per_request(app, "POST", path, tokens["submitting"], requests, 201)
    return Cost(listing=listing, submission=submission)


# --- the driver ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class System:
    label: str
    kind: str  # "bare" or "gogaek"
    pythonpath: str | None = None


def _run_measure(system: System, env: dict[str, str], tokens_file: Path, requests: int) -> Cost:
    child_env = {**os.environ, **env}
    if system.pythonpath:
        child_env["PYTHONPATH"] = system.pythonpath
    result = subprocess.run(
        [sys.executable, __file__, "--measure", system.kind, "--tokens", str(tokens_file), "--requests", str(requests)],
        env=child_env,
        cwd=tokens_file.parent,  # never pick up a developer's .env
        check=True,
        capture_output=True,
        text=True,
    )
    return Cost(**json.loads(result.stdout.strip().splitlines()[-1]))


def _database_copy(settings: Settings, pristine: Path, round_dir: Path) -> dict[str, str]:
    """The server environment on a fresh copy of the seeded SQLite file (PostgreSQL: the same database)."""
    env = inquiry_load.server_env(settings)
    if settings.is_sqlite:
        round_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(pristine, round_dir / "gogaek.db")
        env["GOGAEK_DATA_DIR"] = str(round_dir)
    return {**env, "GOGAEK_JOBS_ENABLED": "false"}


async def run_backend(
    backend: str, systems: Sequence[System], requests: int, rounds: int, workdir: Path
) -> tuple[dict[str, list[Cost]], str]:
    options = SEEDED
    async with inquiry_load.fresh_database(backend, workdir, options) as settings:
        print(f"[{backend}] seeding {options.inquiries:,} inquiries…", flush=True)
        seed, _seconds, version = await inquiry_load.prepare(settings, options)
        submitting, reading = inquiry_load.customer_tokens(settings, seed)
        tokens_file = workdir / f"{backend}-tokens.json"
        tokens_file.write_text(json.dumps({"submitting": submitting[:200], "reading": reading[:200]}))
        pristine = settings.data_dir / "gogaek.db"
        costs: dict[str, list[Cost]] = {system.label: [] for system in systems}
        for round_number in range(rounds):
            for system in systems:
                env = _database_copy(settings, pristine, workdir / f"{backend}-round-{round_number}-{system.kind}")
                cost = await asyncio.to_thread(_run_measure, system, env, tokens_file, requests)
                costs[system.label].append(cost)
                print(
                    f"[{backend}] {system.label}: GET {cost.listing:.2f} ms, POST {cost.submission:.2f} ms", flush=True
                )
        return costs, version


def _median(costs: Sequence[Cost], field: str) -> float:
    return float(statistics.median(getattr(cost, field) for cost in costs))


def report(results: dict[str, tuple[dict[str, list[Cost]], str]], args: argparse.Namespace) -> str:
    command = "`.venv/bin/python benchmarks/request_cost.py"
    command += f" --before {args.before}" if args.before else ""
    command += f" --backends {args.backends} --requests {args.requests} --rounds {args.rounds} --write-docs`"
    lines = [
        "## CPU per request (in-process, one request at a time)\n",
        f"Command: {command} — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}.\n",
        "Each system answers through its ASGI interface called directly in its own process (no network, no",
        f"load generator, no concurrency), on a copy of one database seeded with {SEEDED.inquiries:,} inquiries; the",
        "process's CPU time over the timed requests, after an untimed first request of every token. GET is",
        "문의 내역 (20 newest) of customers with 5–20 inquiries; POST files an inquiry with a fresh",
        "`Idempotency-Key`. Job worker off (`job_drain.py` measures the jobs). The systems take turns",
        f'for {args.rounds} rounds; the median round is shown. "× before" is the earlier revision\'s cost',
        "divided by this tree's: how many times cheaper a request became.\n",
    ]
    header = ["backend", "system", "GET ms CPU", "POST ms CPU", "GET ÷ bare", "POST ÷ bare", "× before (GET / POST)"]
    rows = []
    for backend, (costs, version) in results.items():
        bare = costs["bare FastAPI (baseline)"]
        before = next((c for label, c in costs.items() if label.endswith("(before)")), None)
        for label, series in costs.items():
            get, post = _median(series, "listing"), _median(series, "submission")
            speedup = "–"
            if before is not None and not label.endswith("(before)") and series is not bare:
                speedup = f"{_median(before, 'listing') / get:.2f}× / {_median(before, 'submission') / post:.2f}×"
            rows.append(
                [
                    f"{backend} {version.split(' ')[0]}",
                    label,
                    f"{get:.2f}",
                    f"{post:.2f}",
                    f"{get / _median(bare, 'listing'):.1f}×",
                    f"{post / _median(bare, 'submission'):.1f}×",
                    speedup,
                ]
            )
    lines.append(table(header, rows))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="also measure src/ as it was at this git revision")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--requests", type=int, default=400, help="timed requests per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--measure", choices=("bare", "gogaek"), help=argparse.SUPPRESS)
    parser.add_argument("--tokens", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        tokens = json.loads(args.tokens.read_text())
        cost = asyncio.run(measure(args.measure, tokens, args.requests))
        print(json.dumps({"listing": cost.listing, "submission": cost.submission}))
        return
    with tempfile.TemporaryDirectory(prefix="gogaek-request-cost-") as temporary:
        workdir = Path(temporary)
        systems = [System("bare FastAPI (baseline)", "bare")]
        if args.before:
            systems.append(
                System(f"Gogaek at `{args.before}` (before)", "gogaek", str(export_source(args.before, workdir)))
            )
        systems.append(System("Gogaek, this tree", "gogaek"))
        results = {
            backend: asyncio.run(run_backend(backend, systems, args.requests, args.rounds, workdir))
            for backend in args.backends.split(",")
        }
    markdown = report(results, args)
    print(markdown)
    if args.write_docs:
        write_section("request_cost", markdown)


if __name__ == "__main__":
    main()
