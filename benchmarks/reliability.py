"""Reliability, the long form: the fault scenarios of tests/reliability with bigger counts, and the
suites of other engineers (bad input, hostile uploads, access matrix) counted from their JUnit XML.

Writes the tables of docs/reliability.md (between its ``<!-- reliability-…:start/end -->``
markers) with the exact command that reproduces each row. The short form of the same
scenarios runs in CI: ``.venv/bin/python -m pytest tests/reliability``.

    .venv/bin/python benchmarks/reliability.py [--kills 12 --requests 400 --messages 200 --job-kills 20]
        [--backends sqlite,postgres] [--only kills,jobs,postgres,redis,suites] [--no-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from common import REPO, table, write_section

sys.path.insert(0, str(REPO))  # the scenarios live with the tests that run them in CI

from tests.chat.conftest import Prepared, prepared_database
from tests.reliability.chat_faults import redis_restarts
from tests.reliability.jobs import jobs_under_kills
from tests.reliability.kills import app_kills
from tests.reliability.scenarios import Tally, postgres_restarts

DOCS = REPO / "docs" / "reliability.md"
SCRIPT = "benchmarks/reliability.py"
SCENARIOS = ("kills", "jobs", "postgres", "redis", "suites")
FAULT_HEADER = (
    "Fault injected",
    "Backend",
    "Times",
    "Sent (with retries)",
    "Acknowledged",
    "Lost",
    "Duplicated",
    "Unanswered (Redis: not live)",
    "5xx (not 503)",
    "503",
    "Hung",
    "Half-written",
    "Seconds",
    "Command",
)
SUITE_HEADER = ("Suite", "What it throws at the app", "Cases", "Passed", "Failed", "Errors", "Skipped", "Command")


@dataclass(frozen=True, slots=True)
class Suite:
    """A pytest file written for another part of issue 10, shown in one of the doc's sections."""

    section: str
    path: str
    what: str
    select: str = ""  # a -k expression, when only part of the file belongs here


SUITES = (
    Suite("faults", "tests/unit/test_job_worker.py", "job handler that crashes, hangs past its timeout, is parked"),
    Suite("faults", "tests/reliability/test_job_hang.py", "a hung job handler holds one worker slot, not the worker"),
    Suite("faults", "tests/api/test_notifications.py", "SMTP relay down or busy, delivered later (aiosmtpd)", "relay"),
    Suite("bad-input", "tests/security/test_schemathesis.py", "schemathesis: every operation of the OpenAPI schema"),
    Suite("bad-input", "tests/unit/test_parsers_fuzz.py", "hypothesis: parsers and validators"),
    Suite("bad-input", "tests/api/test_bad_input.py", "hand-written malformed requests"),
    Suite("uploads", "tests/security/test_upload_corpus.py", "hostile files: polyglots, bombs, scripts in PDFs"),
    Suite("access", "tests/security/test_access_matrix.py", "every route for every kind of caller"),
)


def command(*args: str) -> str:
    return " ".join([".venv/bin/python", SCRIPT, *args])


def fault_row(tally: Tally, backend: str, seconds: float, reproduce: str) -> list[str]:
    def maybe(value: int | None) -> str:
        return "–" if value is None else str(value)

    return [
        tally.fault,
        backend,
        str(tally.injected),
        str(tally.attempts),
        str(tally.acknowledged),
        str(tally.lost),
        str(tally.duplicated),
        maybe(tally.unanswered if tally.missed is None else tally.missed),
        str(tally.server_errors),
        str(tally.unavailable),
        str(tally.hung),
        maybe(tally.half_written),
        f"{seconds:.0f}",
        f"`{reproduce}`",
    ]


@contextmanager
def prepared(backend: str) -> Iterator[Prepared]:
    with tempfile.TemporaryDirectory(prefix="gogaek-reliability-") as directory:
        root = Path(directory)
        (root / "data").mkdir()
        with prepared_database(backend, root / "data", root / "embeddings.sqlite3") as ready:
            yield ready


def timed(scenario: Coroutine[Any, Any, Tally | tuple[Tally, ...]]) -> tuple[tuple[Tally, ...], float]:
    """Runs one scenario; its seconds are reported, never judged (the machines are noisy)."""
    started = time.monotonic()
    outcome = asyncio.run(scenario)
    return (outcome if isinstance(outcome, tuple) else (outcome,)), time.monotonic() - started


def run_kills(options: argparse.Namespace, backend: str) -> list[list[str]]:
    reproduce = command(
        "--only kills", f"--backends {backend}", f"--kills {options.kills}",
        f"--requests {options.requests}", f"--messages {options.messages}",
    )  # fmt: skip
    with prepared(backend) as (settings, _):
        tallies, seconds = timed(
            app_kills(settings, requests=options.requests, messages=options.messages, kills=options.kills)
        )
    return [fault_row(t, backend, seconds, reproduce) for t in tallies]


def run_jobs(options: argparse.Namespace, backend: str) -> list[list[str]]:
    counts = f"--jobs {options.jobs} --job-kills {options.job_kills}"
    reproduce = command("--only jobs", f"--backends {backend}", counts)
    with prepared(backend) as (settings, _):
        tallies, seconds = timed(jobs_under_kills(settings, jobs=options.jobs, kills=options.job_kills))
    return [fault_row(t, backend, seconds, reproduce) for t in tallies]


def run_postgres(options: argparse.Namespace) -> list[list[str]]:
    counts = {"requests": options.db_requests, "restarts": options.db_restarts}
    reproduce = command(
        "--only postgres", f"--db-restarts {options.db_restarts}", f"--db-requests {options.db_requests}"
    )
    with tempfile.TemporaryDirectory(prefix="gogaek-reliability-") as directory:
        root = Path(directory)
        tallies, seconds = timed(postgres_restarts(root, root / "embeddings.sqlite3", **counts))
    return [fault_row(t, "postgres (private cluster)", seconds, reproduce) for t in tallies]


def run_redis(options: argparse.Namespace, backend: str) -> list[list[str]]:
    reproduce = command("--only redis", f"--backends {backend}", f"--redis-restarts {options.redis_restarts}")
    with prepared(backend) as (settings, (agent_id, *_)):
        tallies, seconds = timed(redis_restarts(settings, agent_id, restarts=options.redis_restarts))
    return [fault_row(t, f"{backend}, 2 processes", seconds, reproduce) for t in tallies]


def run_suite(suite: Suite, backends: str, timeout: float) -> list[str]:
    """Runs one pytest file with --junitxml and counts its cases; a missing file keeps its command."""
    args = ["-m", "pytest", "-q", suite.path] + (["-k", suite.select] if suite.select else [])
    reproduce = f"GOGAEK_TEST_BACKENDS={backends} .venv/bin/python " + " ".join(args)
    if not (REPO / suite.path).exists():
        return [f"`{suite.path}`", suite.what, "not yet in the repository", "", "", "", "", f"`{reproduce}`"]
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "junit.xml"
        env = {**os.environ, "GOGAEK_TEST_BACKENDS": backends}
        try:
            subprocess.run(
                [sys.executable, *args, f"--junitxml={report}"],
                cwd=REPO, env=env, capture_output=True, timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return [f"`{suite.path}`", suite.what, f"stopped after {timeout:.0f} s", "", "", "", "", f"`{reproduce}`"]
        counts = junit_counts(report)
    cases, failed, errors, skipped = counts
    passed = cases - failed - errors - skipped
    numbers = [str(n) for n in (cases, passed, failed, errors, skipped)]
    return [f"`{suite.path}`", suite.what, *numbers, f"`{reproduce}`"]


def junit_counts(report: Path) -> tuple[int, int, int, int]:
    """(cases, failures, errors, skipped) summed over the report's test suites."""
    if not report.exists():
        return 0, 0, 1, 0
    root = ElementTree.parse(report).getroot()  # noqa: S314 - pytest's own report of this run
    suites = [root] if root.tag == "testsuite" else list(root)
    totals = [sum(int(s.get(key, "0")) for s in suites) for key in ("tests", "failures", "errors", "skipped")]
    return totals[0], totals[1], totals[2], totals[3]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}")
    # An app start-up (Kiwi, the search index) takes 5-20 s on a busy 2-core machine: the app
    # kills are what bound the run to about ten minutes; a worker start-up takes 2-5 s.
    parser.add_argument("--kills", type=int, default=12, help="SIGKILLs of the app per backend")
    parser.add_argument("--requests", type=int, default=400, help="inquiry submissions during the app kills")
    parser.add_argument("--messages", type=int, default=200, help="chat messages during the app kills")
    parser.add_argument("--job-kills", type=int, default=20, help="SIGKILLs of the job worker per backend")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--db-restarts", type=int, default=5)
    parser.add_argument("--db-requests", type=int, default=20, help="per phase: before, during and after each stop")
    parser.add_argument("--redis-restarts", type=int, default=5)
    parser.add_argument("--suite-backends", default="sqlite", help="GOGAEK_TEST_BACKENDS for the pytest suites")
    parser.add_argument("--suite-timeout", type=float, default=600, help="seconds one pytest file may take")
    parser.add_argument("--no-docs", action="store_true", help="print the tables only")
    return parser.parse_args(argv)


def guarded(label: str, run: Callable[[], list[list[str]]]) -> list[list[str]]:
    """One scenario that breaks down is a row saying so, not the end of the run; rows print as they come."""
    try:
        rows = run()
    except Exception as exc:
        rows = [[f"{label}: did not finish ({type(exc).__name__}: {exc})"] + [""] * (len(FAULT_HEADER) - 1)]
    print(table(FAULT_HEADER, rows), flush=True)
    return rows


def fault_rows(options: argparse.Namespace, only: set[str], backends: list[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    for backend in backends:
        if "kills" in only:
            rows += guarded(f"app kills, {backend}", partial(run_kills, options, backend))
        if "jobs" in only:
            rows += guarded(f"job worker kills, {backend}", partial(run_jobs, options, backend))
    if "postgres" in only:
        rows += guarded("PostgreSQL restarts", partial(run_postgres, options))
    if "redis" in only:
        shared = "postgres" if "postgres" in backends else "sqlite"  # two processes share one database
        rows += guarded("Redis restarts", partial(run_redis, options, shared))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_args(argv)
    only = set(options.only.split(","))
    backends = [b for b in options.backends.split(",") if b]
    sections: dict[str, tuple[Sequence[str], list[list[str]]]] = {}
    faults = fault_rows(options, only, backends)
    if faults:
        sections["faults"] = (FAULT_HEADER, faults)
    if "suites" in only:
        for suite in SUITES:
            header, rows = sections.setdefault(f"suites-{suite.section}", (SUITE_HEADER, []))
            rows.append(run_suite(suite, options.suite_backends, options.suite_timeout))
            print(table(header, rows[-1:]), flush=True)
    for name, (header, rows) in sections.items():
        print(f"\n{name}\n{table(header, rows)}")
        if not options.no_docs:
            write_section(f"reliability-{name}", table(header, merged(name, rows)), DOCS)


def merged(name: str, rows: list[list[str]]) -> list[list[str]]:
    """This run's rows replace the documented rows of the same fault (or suite) and backend, so a
    partial run (``--only``, ``--backends``) keeps the others; rows of runs that broke down go."""
    start, end = f"<!-- reliability-{name}:start -->", f"<!-- reliability-{name}:end -->"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    block = text.split(start, 1)[1].split(end, 1)[0] if start in text and end in text else ""
    lines = [line for line in block.splitlines() if line.startswith("| ")][1:]  # without the header
    documented = [[cell.strip() for cell in line.strip().strip("|").split(" | ")] for line in lines]
    fresh = {(row[0], row[1]) for row in rows}
    kept = [row for row in documented if row[1] and (row[0], row[1]) not in fresh]
    return kept + rows


if __name__ == "__main__":
    main()
